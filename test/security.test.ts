// Least privilege on the real broker (SASL_SSL + ACLs): the ACL file applied by the admin
// command, a partner onboarded with `admin partner add`, and what each principal can and
// cannot do — checked with kafkajs and with Debian's kcat (librdkafka). Debian 12's librdkafka
// (2.0.2) fails SCRAM against Kafka 4 (librdkafka#4895, fixed in 2.6.1), so kcat reaches the
// broker through the mutual-TLS listener with the partner's certificate; kcat's SCRAM login
// is asserted to succeed only where its librdkafka is 2.6.1 or newer.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type KafkaConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCommand } from '../services/cli/admin/admin-command.ts';
import { clientPropertiesText, kafkajsSecurity, resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { stackEndpoints, testKafka } from './support/stack.ts';

const stack = stackEndpoints();
const secured = stack.kafkaClientProperties !== undefined;
const dir = mkdtempSync(join(tmpdir(), 'crosstrace-security-test-'));
const env = {
  KAFKA_BROKERS: stack.kafkaBrokers.join(','), KAFKA_CLIENT_PROPERTIES: stack.kafkaClientProperties ?? '',
  KAFKA_MTLS_BROKERS: stack.kafkaMtlsBrokers?.join(',') ?? '',
};
const partners = join(dir, 'partners');
const FR_MARK = `for FR only ${Date.now()}`;
// A record that is not a signed update is written into trace.updates.FR only on a broker that
// lives for this run: on the local stack it would stay, and every later watch would skip it.
const throwaway = stack.mode === 'testcontainers';

function kafkaAs(properties: string, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'security-test', brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING, connectionTimeout: 5_000,
    ...kafkajsSecurity(resolveKafkaSecurity({ KAFKA_CLIENT_PROPERTIES: properties })), ...extra,
  });
}

/** The error type kafkajs reports for a metadata request on `topic`, or 'OK'. */
async function metadataError(kafka: Kafka, topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: [topic] });
    return 'OK';
  } catch (e) {
    return (e as { type?: string }).type ?? (e as Error).message;
  } finally {
    await admin.disconnect();
  }
}

/** `metadataError` once it answers `want` (an ACL change reaches the authorizer as the broker
 *  replays the metadata log: soon, not necessarily by the next request), or its last answer. */
async function metadataErrorBecomes(kafka: Kafka, topic: string, want: string): Promise<string> {
  let got = '';
  for (let i = 0; i < 40 && got !== want; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 250));
    got = await metadataError(kafka, topic);
  }
  return got;
}

interface Run { code: number; stdout: string; stderr: string }
function kcat(args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile('kcat', args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}
const kcatVersion = (): [number, number, number] => {
  const m = /librdkafka version (\d+)\.(\d+)\.(\d+)/.exec(execFileSync('kcat', ['-V'], { encoding: 'utf8' }));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
};

describe.skipIf(!secured)('security on the broker (SASL_SSL, ACLs)', () => {
  beforeAll(async () => {
    await adminCommand(['acl', 'apply', '--credentials-dir', join(dir, 'clients')], env);
    await adminCommand(['partner', 'add', 'FR', '--out', partners, '--tokens-file', join(dir, 'gateway-tokens')], env);
    if (!throwaway) return;
    const producer = testKafka('security-test-admin').producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: 'trace.updates.FR', messages: [{ key: 't', value: FR_MARK }] });
    await producer.disconnect();
  });
  afterAll(async () => {
    await adminCommand(['partner', 'remove', 'FR', '--out', partners, '--tokens-file', join(dir, 'gateway-tokens')], env);
  });

  it('onboards a partner with a librdkafka properties file and a gateway token', () => {
    const props = readFileSync(join(partners, 'FR.properties'), 'utf8');
    for (const key of ['bootstrap.servers', 'security.protocol=SASL_SSL', 'sasl.mechanisms=SCRAM-SHA-512', 'sasl.username=partner-FR', 'sasl.password=', 'ssl.ca.location=']) {
      expect(props).toContain(key);
    }
    expect(readFileSync(join(dir, 'gateway-tokens'), 'utf8')).toMatch(/^FR:\S{16,}/);
  });

  it('kafkajs: partner FR reads trace.updates.FR and nothing else', async () => {
    // a fresh broker creates __consumer_offsets on the first join and answers NOT_COORDINATOR
    // meanwhile: more patience than kafkajs' default 5 retries
    const fr = kafkaAs(join(partners, 'FR.properties'), { retry: { retries: 12, initialRetryTime: 300, maxRetryTime: 5_000 } });
    const consumer = fr.consumer({ groupId: `partner-FR-test-${Date.now()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'trace.updates.FR', fromBeginning: true });
      const seen = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('FR read nothing from trace.updates.FR in 60 s')), 60_000);
        consumer.on(consumer.events.CRASH, (ev) => { if (!ev.payload.restart) reject(ev.payload.error); });
        // on the local stack (no marker): joined its group with trace.updates.FR assigned, and fetched
        if (!throwaway) consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => { if (ev.payload.topic === 'trace.updates.FR') { clearTimeout(t); resolve(FR_MARK); } });
        consumer.on(consumer.events.FETCH, () => { if (!throwaway) { clearTimeout(t); resolve(FR_MARK); } });
        void consumer.run({ eachMessage: async ({ message }) => { if (message.value?.toString() === FR_MARK) { clearTimeout(t); resolve(FR_MARK); } } }).catch(reject);
      });
      expect(seen).toBe(FR_MARK);
    } finally {
      await consumer.disconnect();
    }
    const frOnce = kafkaAs(join(partners, 'FR.properties'), { retry: { retries: 0 } });
    // its own audit feed only: not every audience's records, nor another jurisdiction's feed
    expect(await metadataError(frOnce, 'audit.disclosures.FR')).toBe('OK');
    for (const topic of ['trace.updates.DE', 'trace.updates', 'registry.providers', 'audit.disclosures', 'audit.disclosures.DE']) {
      expect(await metadataError(frOnce, topic), topic).toBe('TOPIC_AUTHORIZATION_FAILED');
    }
  });

  it('kafkajs: an exporter writes flows.raw but not trace.requests', async () => {
    const producer = kafkaAs(join(dir, 'clients', 'exporter-fr-cgn-1.properties')).producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 0 } });
    await producer.connect();
    try {
      // (on the local stack it would reach the running ingest's dead-letter topic: Describe only)
      if (throwaway) await producer.send({ topic: 'flows.raw', messages: [{ key: 'x', value: 'not avro: dead-lettered by ingest' }] });
      else expect(await metadataError(kafkaAs(join(dir, 'clients', 'exporter-fr-cgn-1.properties')), 'flows.raw')).toBe('OK');
      await expect(producer.send({ topic: 'trace.requests', messages: [{ key: 'x', value: 'forged' }] })).rejects.toMatchObject({ cause: { type: 'TOPIC_AUTHORIZATION_FAILED' } });
    } finally {
      await producer.disconnect();
    }
  });

  it('kafkajs: a wrong password and a PLAINTEXT client are refused', async () => {
    const wrong = join(dir, 'wrong.properties');
    writeFileSync(wrong, readFileSync(join(partners, 'FR.properties'), 'utf8').replace(/^sasl\.password=.*$/m, 'sasl.password=not-the-password'));
    await expect(kafkaAs(wrong, { retry: { retries: 0 } }).admin().connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
    const plain = new Kafka({ clientId: 'plain', brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING, connectionTimeout: 3_000, requestTimeout: 5_000, retry: { retries: 0 } });
    await expect(plain.admin().connect()).rejects.toThrow();
  });

  it('kcat (Debian librdkafka): partner FR by certificate reads its own topic only; no certificate, PLAINTEXT and a wrong password are refused', async () => {
    const tls = join(partners, 'FR-tls.properties');
    const own = await kcat(['-F', tls, '-C', '-t', 'trace.updates.FR', '-o', 'beginning', '-e', '-q']);
    expect(own.code, own.stderr).toBe(0);
    if (throwaway) expect(own.stdout).toContain(FR_MARK);
    // its own audit feed only: not every audience's records, nor another jurisdiction's feed
    const feed = await kcat(['-F', tls, '-C', '-t', 'audit.disclosures.FR', '-o', 'beginning', '-e', '-q']);
    expect(feed.code, feed.stderr).toBe(0);
    for (const topic of ['trace.updates.DE', 'trace.updates', 'registry.providers', 'audit.disclosures', 'audit.disclosures.DE']) {
      const r = await kcat(['-F', tls, '-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
      expect(r.stderr, topic).toMatch(/Topic authorization failed/);
    }
    // its own consumer-group prefix partner-FR- only
    const ownGroup = await kcat(['-F', tls, '-X', 'auto.offset.reset=earliest', '-G', `partner-FR-kcat-${Date.now()}`, '-e', 'trace.updates.FR'], 60_000);
    expect(ownGroup.stderr).toMatch(/assigned: trace\.updates\.FR/);
    if (throwaway) expect(ownGroup.stdout).toContain(FR_MARK);
    const otherGroup = await kcat(['-F', tls, '-G', 'crosstrace-gateway-kcat', 'trace.updates.FR'], 15_000);
    expect(otherGroup.stderr).toMatch(/Group authorization failed/);
    const mtls = stack.kafkaMtlsBrokers?.join(',') ?? '';
    const ca = join(partners, 'ca.pem');
    const noCert = await kcat(['-b', mtls, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca}`, '-L', '-m', '5']);
    expect(noCert.code, 'mutual-TLS listener without a client certificate').not.toBe(0);
    const plain = await kcat(['-b', stack.kafkaBrokers.join(','), '-L', '-m', '5']);
    expect(plain.code, 'PLAINTEXT client on the SASL_SSL listener').not.toBe(0);
    const props = readFileSync(join(partners, 'FR.properties'), 'utf8');
    const wrong = join(dir, 'wrong-kcat.properties');
    writeFileSync(wrong, props.replace(/^sasl\.password=.*$/m, 'sasl.password=not-the-password').replace(/^#.*\n/gm, ''));
    const bad = await kcat(['-F', wrong, '-L', '-m', '5']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Authentication failed/);
    const [major, minor, patch] = kcatVersion();
    const scramWorks = major > 2 || (major === 2 && (minor > 6 || (minor === 6 && patch >= 1)));
    const right = await kcat(['-F', join(partners, 'FR.properties'), '-C', '-t', 'trace.updates.FR', '-o', 'beginning', '-e', '-q']);
    if (scramWorks) expect(right.code, right.stderr).toBe(0);
    else console.log(`kcat's librdkafka ${major}.${minor}.${patch} predates the SCRAM fix for Kafka 4 (2.6.1): its SCRAM login fails (${right.stderr.split('\n').find((l) => /Authentication/.test(l)) ?? right.stderr.slice(0, 120)}); partners on it use ${'<CC>'}-tls.properties`);
  });

  it('each certificate is its own principal: re-onboarding and remove revoke the earlier ones (kafkajs and kcat)', async () => {
    const mtls = stack.kafkaMtlsBrokers ?? [];
    const ca = join(partners, 'ca.pem');
    /** A copy of FR's current certificate and key (the next `partner add` overwrites them), as client properties. */
    const keep = (tag: string): { props: string; cn: string; serial: string } => {
      for (const f of ['crt', 'key']) copyFileSync(join(partners, `FR.${f}.pem`), join(dir, `${tag}.${f}.pem`));
      const props = join(dir, `${tag}.properties`);
      writeFileSync(props, clientPropertiesText({ bootstrap: mtls, certificateLocation: join(dir, `${tag}.crt.pem`), keyLocation: join(dir, `${tag}.key.pem`), caLocation: ca }));
      const text = execFileSync('openssl', ['x509', '-in', join(dir, `${tag}.crt.pem`), '-noout', '-subject', '-serial'], { encoding: 'utf8' });
      return { props, cn: /CN\s*=\s*([^,\n]+)/.exec(text)?.[1] ?? '', serial: /serial=([0-9A-F]+)/.exec(text)?.[1] ?? '0' };
    };
    const byCert = (props: string) => kafkaAs(props, { brokers: mtls, retry: { retries: 0 } });
    const kcatRead = (props: string) => kcat(['-F', props, '-C', '-t', 'trace.updates.FR', '-o', 'beginning', '-e', '-q']);
    const onboard = () => adminCommand(['partner', 'add', 'FR', '--out', partners, '--tokens-file', join(dir, 'gateway-tokens')], env);
    const first = keep('fr-cert-1');
    expect(await metadataErrorBecomes(byCert(first.props), 'trace.updates.FR', 'OK')).toBe('OK');
    await onboard();
    const second = keep('fr-cert-2');
    expect(await metadataErrorBecomes(byCert(second.props), 'trace.updates.FR', 'OK')).toBe('OK');
    expect(await metadataErrorBecomes(byCert(first.props), 'trace.updates.FR', 'TOPIC_AUTHORIZATION_FAILED'), 'the first certificate after re-onboarding').toBe('TOPIC_AUTHORIZATION_FAILED');
    expect((await kcatRead(first.props)).stderr, 'kcat, the first certificate after re-onboarding').toMatch(/Topic authorization failed/);
    await adminCommand(['partner', 'remove', 'FR', '--out', partners, '--tokens-file', join(dir, 'gateway-tokens')], env);
    expect(await metadataErrorBecomes(byCert(second.props), 'trace.updates.FR', 'TOPIC_AUTHORIZATION_FAILED'), 'the second certificate after remove').toBe('TOPIC_AUTHORIZATION_FAILED');
    expect((await kcatRead(second.props)).stderr, 'kcat, the second certificate after remove').toMatch(/Topic authorization failed/);
    // onboarded again (afterAll removes FR): neither earlier certificate comes back
    await onboard();
    const third = keep('fr-cert-3');
    expect(await metadataErrorBecomes(byCert(third.props), 'trace.updates.FR', 'OK')).toBe('OK');
    for (const old of [first, second]) {
      expect(await metadataError(byCert(old.props), 'trace.updates.FR'), `${old.cn} after remove and add`).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect((await kcatRead(old.props)).stderr, `kcat, ${old.cn} after remove and add`).toMatch(/Topic authorization failed/);
    }
    const own = await kcatRead(third.props);
    expect(own.code, own.stderr).toBe(0);
    // CN=partner-FR.c<serial>: the principal the broker's mapping rules give that certificate alone
    for (const c of [first, second, third]) {
      expect(c.cn).toMatch(/^partner-FR\.c[0-9a-f]+$/);
      expect(BigInt(`0x${c.cn.replace(/^partner-FR\.c/, '')}`), `${c.cn}: named after its serial`).toBe(BigInt(`0x${c.serial}`));
    }
    expect(new Set([first.cn, second.cn, third.cn]).size).toBe(3);
  });

  it('kcat: an exporter by certificate cannot write trace.requests', async () => {
    const prefix = join(dir, 'exporter-fr-cgn-1');
    execFileSync(join(import.meta.dirname, '../deploy/security/client-cert.sh'), [stack.kafkaSecurityDir ?? '', 'exporter-fr-cgn-1', prefix]);
    const props = join(dir, 'exporter-tls.properties');
    writeFileSync(props, clientPropertiesText({ bootstrap: stack.kafkaMtlsBrokers ?? [], certificateLocation: `${prefix}.crt.pem`, keyLocation: `${prefix}.key.pem`, caLocation: join(partners, 'ca.pem') }));
    const denied = await new Promise<Run>((resolve) => {
      const child = execFile('kcat', ['-F', props, '-P', '-t', 'trace.requests'], { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
      child.stdin?.end('forged request\n');
    });
    expect(denied.stderr).toMatch(/Topic authorization failed/);
  });
});
