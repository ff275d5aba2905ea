// crosstrace admin acl apply | partner add CC --out DIR | partner remove CC | key create | key rotate
// Run as the admin principal (KAFKA_CLIENT_PROPERTIES = the admin's client properties); the
// key commands run on the node, beside the tracer's key file, and need no broker.
// `acl apply` makes the broker match deploy/security/acls.json: topics exist (audit topics
// keep records forever), each service and exporter principal has exactly its bindings and,
// with --credentials-dir, a SCRAM password and a client properties file there (--principal-dirs:
// DIR/<name>/client.properties, a folder per principal for a container to mount alone).
// `partner add` onboards one jurisdiction (SCRAM user, ACLs, gateway token, DIR/CC.properties
// in librdkafka form, a TLS client certificate that is a principal of its own and revokes the
// earlier ones: partner-certificates.ts); `partner remove` revokes all of it. Each step is idempotent.
import { execFileSync } from 'node:child_process';
import { secretText } from '../../common/secret-text.ts';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Admin } from 'kafkajs';
import { ensureTopics } from '../../common/kafka.ts';
import { clientPropertiesText, parseClientProperties } from '../../common/kafka-security.ts';
import { loadProvidersFile } from '../../common/provider-directory.ts';
import { AUDIT_RETENTION_MS, EXPORTER_RAW_PARTITIONS, TOPICS, auditTopic, jurisdictionTopic, jurisdictionTopics, pipelineTopics } from '../../common/topics.ts';
import { cliConfig, cliKafka, UsageError, type CliKafka } from '../env.ts';
import { aclDiff, bindingsOf, managedPrincipals, parseAclFile, partnerPrincipal, staleExporterPrincipals, type AclFile, type Binding } from './acl-file.ts';
import { brokerBindings, createBindings, deleteBindings, principalsWithBindings } from './acl-broker.ts';
import { alterScramCredentials } from './scram-credentials.ts';
import { credentialsFile } from './credentials-files.ts';
import { addPartnerToken, removePartnerTokens } from './partner-tokens.ts';
import { newCertificatePrincipal, revokeCertificates } from './partner-certificates.ts';
import { createSigningKeyFile, rotateSigningKeyFile } from '../../tracer/signing-key-file.ts';

export const ADMIN_USAGE = `crosstrace admin acl apply [--file deploy/security/acls.json] [--credentials-dir DIR [--principal-dirs]] [--partitions 6] [--exporter-partitions 1]
  --principal-dirs: each principal's client properties in DIR/<name>/client.properties (not DIR/<name>.properties)
crosstrace admin partner add CC... --out DIR [--file deploy/security/acls.json] [--tokens-file .stack/keys/gateway-tokens] [--keep-tokens]
                             [--mtls-bootstrap HOST:PORT (default KAFKA_MTLS_BROKERS)]
  writes DIR/CC.properties (SASL_SSL, SCRAM-SHA-512), DIR/ca.pem, DIR/CC.gateway-token and, when the broker has a
  mutual-TLS listener and the CA key is beside ssl.ca.location, DIR/CC-tls.properties + DIR/CC.crt.pem + DIR/CC.key.pem
  (for librdkafka older than 2.6.1, whose SCRAM Kafka 4 refuses; CN=partner-CC.c<serial>, its own principal: CC's earlier
  certificates are revoked, as is its earlier password); the new gateway token REPLACES CC's earlier tokens
  (refused at once by a running gateway) unless --keep-tokens (a rotation: remove the old ones later with partner add again)
crosstrace admin partner remove CC... [--out DIR] [--tokens-file .stack/keys/gateway-tokens]
crosstrace admin key create|rotate [--key-file .stack/keys/node-ed25519.pem (default CROSSTRACE_TRACER_SIGNING_KEY_FILE)]
  create makes the node's Ed25519 signing key (0600) and lists its public key (PEM) in KEYFILE.pub, the trust file
  partners are given; rotate replaces the key and ends the old key's validity in KEYFILE.pub (kept: what it signed
  still verifies). Restart the tracer to sign with the new key; hand partners the new KEYFILE.pub.
  as the admin principal: KAFKA_CLIENT_PROPERTIES names its client properties (make -s stack-env prints it)`;

const say = (s: string): void => { process.stderr.write(`admin: ${s}\n`); };
const newPassword = (): string => secretText(24);
const CLIENT_CERT_SH = resolve(import.meta.dirname, '../../../deploy/security/client-cert.sh');
const loadAclFile = (path: string): AclFile => parseAclFile(JSON.parse(readFileSync(path, 'utf8')) as unknown, path);

/** Brings one principal's bindings to `wanted`; returns [created, deleted]. */
async function syncBindings(admin: Admin, principal: string, wanted: Binding[]): Promise<[number, number]> {
  const { create, remove } = aclDiff(wanted, await brokerBindings(admin, principal));
  await deleteBindings(admin, remove);
  await createBindings(admin, create);
  return [create.length, remove.length];
}

/** Audit records are kept forever: retention by time and by size off (also on topics made before). */
async function keepForever(admin: Admin, topics: string[]): Promise<void> {
  const configEntries = [{ name: 'retention.ms', value: String(AUDIT_RETENTION_MS) }, { name: 'retention.bytes', value: '-1' }];
  await admin.alterConfigs({ validateOnly: false, resources: topics.map((name) => ({ type: 2, name, configEntries })) });
}

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function caLocationOf(k: CliKafka): string {
  if (!k.security.caLocation) throw new UsageError('the admin client has no ssl.ca.location; partners and services need the CA file to check the broker');
  return resolve(k.security.caLocation);
}

async function aclApply(a: Record<string, string | undefined>, k: CliKafka, admin: Admin, principalDirs: boolean): Promise<void> {
  if (principalDirs && !a['credentials-dir']) throw new UsageError('--principal-dirs needs --credentials-dir DIR');
  const file = loadAclFile(a.file!);
  const providers = loadProvidersFile(resolve(dirname(resolve(a.file!)), file.exporters.fromProvidersFile));
  const exporters = providers.flatMap((p) => p.exporters.map((exporterId) => ({ exporterId, providerId: p.providerId })));
  const principals = managedPrincipals(file, exporters);
  const partitions = Number(a.partitions);
  if (!Number.isInteger(partitions) || partitions < 1) throw new UsageError('--partitions must be a positive whole number');
  const exporterPartitions = Number(a['exporter-partitions']);
  if (!Number.isInteger(exporterPartitions) || exporterPartitions < 1) throw new UsageError('--exporter-partitions must be a positive whole number');
  const ccs = [...new Set(providers.map((p) => p.jurisdiction))].sort();
  await ensureTopics(admin, pipelineTopics(partitions, ccs, exporters, exporterPartitions));
  await keepForever(admin, [TOPICS.audit, ...ccs.map(auditTopic)]);
  let created = 0;
  let deleted = 0;
  for (const [principal, wanted] of principals) {
    const [c, d] = await syncBindings(admin, principal, wanted);
    created += c;
    deleted += d;
  }
  // exporters the registry no longer lists: bindings and SCRAM credentials go (their client
  // properties files, where written, stay behind with a password the broker no longer knows)
  const stale = staleExporterPrincipals(await principalsWithBindings(admin), new Set(principals.keys()));
  for (const p of stale) deleted += (await syncBindings(admin, p, []))[1];
  if (stale.length > 0) await alterScramCredentials(k.kafka, { delete: stale });
  let credentials = 0;
  if (a['credentials-dir']) {
    const dir = resolve(a['credentials-dir']);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ca = caLocationOf(k);
    const upsert = [...principals.keys()].map((name) => {
      const path = credentialsFile(dir, name, principalDirs);
      const old = existsSync(path) ? parseClientProperties(readFileSync(path, 'utf8')).get('sasl.password') : undefined;
      const password = old || newPassword();
      writePrivate(path, clientPropertiesText({ bootstrap: k.brokers, username: name, password, caLocation: ca, comment: `principal ${name}; made by bin/crosstrace admin acl apply from deploy/security/acls.json` }));
      return { name, password };
    });
    await alterScramCredentials(k.kafka, { upsert });
    credentials = upsert.length;
  }
  say(`acl apply: ${principals.size} principals (${[...principals.keys()].join(', ')}), ${created} bindings created, ${deleted} deleted` +
    `${stale.length ? `; revoked ${stale.length} exporter(s) no longer in the registry (${stale.join(', ')})` : ''}` +
    `${credentials ? `, ${credentials} SCRAM credentials set (client properties in ${a['credentials-dir']})` : ''}; topics ensured, ${TOPICS.audit} and ${auditTopic('<CC>')} kept forever`);
}

async function partnerAdd(cc: string, a: Record<string, string | undefined>, k: CliKafka, admin: Admin, env: Record<string, string | undefined>, keepTokens: boolean): Promise<void> {
  if (!a.out) throw new UsageError('partner add needs --out DIR (where CC.properties, ca.pem and CC.gateway-token are written)');
  const file = loadAclFile(a.file!);
  const principal = partnerPrincipal(cc);
  const out = resolve(a.out);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const ca = join(out, 'ca.pem');
  copyFileSync(caLocationOf(k), ca);
  const password = newPassword();
  await alterScramCredentials(k.kafka, { upsert: [{ name: principal, password }] });
  await ensureTopics(admin, jurisdictionTopics(cc));
  await keepForever(admin, [auditTopic(cc)]);
  const [created, deleted] = await syncBindings(admin, principal, bindingsOf(principal, file.roles.partner, cc));
  writePrivate(join(out, `${cc}.properties`), clientPropertiesText({
    bootstrap: k.brokers, username: principal, password, caLocation: ca,
    comment: `partner ${cc}: reads ${jurisdictionTopic(cc)} and ${auditTopic(cc)} only (kcat -F ${cc}.properties, or KAFKA_CLIENT_PROPERTIES for bin/crosstrace)`,
  }));
  const mtls = a['mtls-bootstrap'] || env.KAFKA_MTLS_BROKERS;
  const caDir = dirname(caLocationOf(k));
  let tls = '';
  let certificate: string | undefined;
  if (mtls && existsSync(join(caDir, 'ca.key'))) {
    // its own principal (CN=partner-CC.c<serial>) with the role's bindings: revocable alone
    const cert = newCertificatePrincipal(cc);
    certificate = cert.principal;
    execFileSync(CLIENT_CERT_SH, [caDir, cert.principal, join(out, cc), '90', cert.serial], { stdio: ['ignore', 'ignore', 'inherit'] });
    await syncBindings(admin, cert.principal, bindingsOf(cert.principal, file.roles.partner, cc));
    writePrivate(join(out, `${cc}-tls.properties`), clientPropertiesText({
      bootstrap: mtls.split(','), certificateLocation: join(out, `${cc}.crt.pem`), keyLocation: join(out, `${cc}.key.pem`), caLocation: ca,
      comment: `partner ${cc} by TLS client certificate (CN=${cert.principal}), for librdkafka older than 2.6.1; same ACLs as ${cc}.properties`,
    }));
    tls = `, ${join(a.out, `${cc}-tls.properties`)} (certificate principal ${cert.principal})`;
  }
  // every earlier certificate of CC stops reaching anything, as its earlier password does
  const revoked = await revokeCertificates(admin, cc, certificate);
  const { token, replaced, kept } = addPartnerToken(a['tokens-file']!, cc, { keep: keepTokens });
  writePrivate(join(out, `${cc}.gateway-token`), `${token}\n`);
  const earlier = kept ? `${kept} earlier gateway token(s) of ${cc} KEPT (--keep-tokens)` : `${replaced} earlier gateway token(s) of ${cc} revoked`;
  say(`partner ${cc}: SCRAM user ${principal} (new password), ${created} bindings created, ${deleted} deleted, ${revoked.length} earlier certificate(s) revoked; ` +
    `${join(a.out, `${cc}.properties`)}${tls}, ${join(a.out, `${cc}.gateway-token`)} (also in ${a['tokens-file']}; ${earlier}; a running gateway that serves ${cc} takes it at once, one that does not needs a restart)`);
}

async function partnerRemove(cc: string, a: Record<string, string | undefined>, k: CliKafka, admin: Admin): Promise<void> {
  const principal = partnerPrincipal(cc);
  const [, deleted] = await syncBindings(admin, principal, []);
  const revoked = await revokeCertificates(admin, cc);
  await alterScramCredentials(k.kafka, { delete: [principal] });
  const tokens = removePartnerTokens(a['tokens-file']!, cc);
  if (a.out) for (const f of [`${cc}.properties`, `${cc}-tls.properties`, `${cc}.crt.pem`, `${cc}.key.pem`, `${cc}.gateway-token`]) rmSync(join(a.out, f), { force: true });
  say(`partner ${cc}: ${deleted} bindings deleted, SCRAM user ${principal} deleted, ${revoked.length} certificate(s) revoked, ${tokens} gateway token(s) removed from ${a['tokens-file']} (a running gateway refuses them at once and ends their streams)`);
}

export async function adminCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values: { 'keep-tokens': keepTokens, 'principal-dirs': principalDirs, ...a }, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: {
      file: { type: 'string', default: 'deploy/security/acls.json' }, 'credentials-dir': { type: 'string' }, partitions: { type: 'string', default: '6' }, 'exporter-partitions': { type: 'string', default: String(EXPORTER_RAW_PARTITIONS) },
      out: { type: 'string' }, 'mtls-bootstrap': { type: 'string' }, 'tokens-file': { type: 'string', default: '.stack/keys/gateway-tokens' },
      'keep-tokens': { type: 'boolean', default: false }, 'key-file': { type: 'string' }, 'principal-dirs': { type: 'boolean', default: false },
    },
  });
  const [group, action, ...ccs] = positionals;
  const what = `${group ?? ''} ${action ?? ''}`;
  if (group === 'key') return keyCommand(action, ccs, a['key-file'] ?? env.CROSSTRACE_TRACER_SIGNING_KEY_FILE ?? '.stack/keys/node-ed25519.pem');
  if (!['acl apply', 'partner add', 'partner remove'].includes(what)) throw new UsageError(`unknown admin command: ${positionals.join(' ')}`);
  if (group === 'partner' && (ccs.length === 0 || !ccs.every((cc) => /^[A-Z]{2}$/.test(cc)))) throw new UsageError('partner add/remove needs ISO 3166-1 alpha-2 codes, e.g. FR');
  if (group === 'acl' && ccs.length > 0) throw new UsageError(`acl apply takes no argument (got ${ccs.join(' ')})`);
  const k = cliKafka(cliConfig.parse(env), env, 'crosstrace-admin');
  const admin = k.kafka.admin();
  await admin.connect();
  try {
    if (what === 'acl apply') await aclApply(a, k, admin, principalDirs === true);
    else if (what === 'partner add') for (const cc of ccs) await partnerAdd(cc, a, k, admin, env, keepTokens === true);
    else for (const cc of ccs) await partnerRemove(cc, a, k, admin);
  } finally {
    await admin.disconnect();
  }
  return 0;
}

function keyCommand(action: string | undefined, extra: string[], path: string): number {
  if (extra.length > 0) throw new UsageError(`admin key ${action ?? ''} takes no argument (got ${extra.join(' ')})`);
  if (action === 'create') {
    const key = createSigningKeyFile(path);
    say(`key ${key.keyId} made in ${path}; its public key is in ${path}.pub (give that file to partners)`);
  } else if (action === 'rotate') {
    const { old, key } = rotateSigningKeyFile(path);
    say(`key ${old.keyId} rotated out (valid until now, kept in ${path}.pub), key ${key.keyId} made in ${path}; restart the tracer, hand partners the new ${path}.pub`);
  } else throw new UsageError(`unknown admin command: key ${action ?? ''} (create or rotate)`);
  return 0;
}
