// Kafka client security for every client of the project (services, CLI, tests, benches), in
// one place. Settings come from a librdkafka-style properties file (KAFKA_CLIENT_PROPERTIES,
// the same file kcat -F and Java clients read) and/or explicit variables, which win over the
// file. Contract: what is resolved is checked once (a SASL protocol needs a mechanism, a user
// and a password; a CA file must be readable PEM) and reported by key name; the password never
// appears in a message or in `describe()`.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { FieldSpec } from './field-spec.ts';
import { CrosstraceError } from './errors.ts';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];
const MECHANISMS = { 'SCRAM-SHA-512': 'scram-sha-512', 'SCRAM-SHA-256': 'scram-sha-256', PLAIN: 'plain' } as const;
export type SaslMechanism = keyof typeof MECHANISMS;

/** Environment keys, shared by every service's config (spread into commonSpec). Plain field
 *  specs here: config.ts imports this module, so it must not import config.ts's values. */
const str = (doc: string, def: string): FieldSpec<string> => ({ doc, default: def, parse: (r) => r });
export const kafkaSecuritySpec = {
  KAFKA_CLIENT_PROPERTIES: str('librdkafka-style client properties file (bootstrap.servers, security.protocol, sasl.mechanisms, sasl.username, sasl.password, ssl.ca.location); relative ssl.ca.location is relative to the file. Empty = none.', ''),
  KAFKA_SECURITY_PROTOCOL: str(`Overrides security.protocol: ${SECURITY_PROTOCOLS.join(', ')}. Default PLAINTEXT when nothing is configured.`, ''),
  KAFKA_SASL_MECHANISM: str(`Overrides sasl.mechanisms: ${Object.keys(MECHANISMS).join(', ')}.`, ''),
  KAFKA_SASL_USERNAME: str('Overrides sasl.username.', ''),
  KAFKA_SASL_PASSWORD: str('Overrides sasl.password.', ''),
  KAFKA_SSL_CA_LOCATION: str('Overrides ssl.ca.location: PEM file of the CA(s) that signed the broker certificate. Empty = the system CAs.', ''),
  KAFKA_SSL_CERTIFICATE_LOCATION: str('Overrides ssl.certificate.location: PEM client certificate, for a mutual-TLS (SSL) listener.', ''),
  KAFKA_SSL_KEY_LOCATION: str('Overrides ssl.key.location: PEM private key of that certificate.', ''),
} satisfies Record<string, FieldSpec<string>>;

export type KafkaSecuritySettings = { readonly [K in keyof typeof kafkaSecuritySpec]: string };

export interface KafkaClientSecurity {
  readonly protocol: SecurityProtocol;
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
  /** PEM text of the trusted CA(s); undefined = the system CAs. */
  readonly caPem?: string;
  readonly caLocation?: string;
  /** Client certificate and key (PEM text), for a listener that authenticates by TLS certificate. */
  readonly clientCert?: { readonly certPem: string; readonly keyPem: string; readonly certLocation: string };
  /** bootstrap.servers of the properties file, when it has one. */
  readonly bootstrap?: readonly string[];
}

/** Parses Java/librdkafka properties text: `key=value` (or `key: value`), `#`/`!` comments. */
export function parseClientProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!m?.[1]) throw new CrosstraceError('CT_CONFIG', `not a key=value line: ${JSON.stringify(line.slice(0, 60))}`);
    out.set(m[1], m[2] ?? '');
  }
  return out;
}

/** Resolves the settings into one frozen object; throws CT_CONFIG naming every bad key. */
export function resolveKafkaSecurity(s: Partial<KafkaSecuritySettings>): KafkaClientSecurity {
  const problems: string[] = [];
  let props = new Map<string, string>();
  let base = process.cwd();
  const file = s.KAFKA_CLIENT_PROPERTIES ?? '';
  if (file !== '') {
    try {
      props = parseClientProperties(readFileSync(file, 'utf8'));
      base = dirname(resolve(file));
    } catch (e) {
      problems.push(`KAFKA_CLIENT_PROPERTIES=${file}: ${(e as Error).message}`);
    }
  }
  const pick = (envKey: keyof KafkaSecuritySettings, prop: string): [string, string] => {
    const v = s[envKey] ?? '';
    return v !== '' ? [v, envKey] : [props.get(prop) ?? '', `${prop} in ${file}`];
  };
  const [protocolRaw, protocolKey] = pick('KAFKA_SECURITY_PROTOCOL', 'security.protocol');
  const protocol = (protocolRaw.toUpperCase() || 'PLAINTEXT') as SecurityProtocol;
  if (!SECURITY_PROTOCOLS.includes(protocol)) problems.push(`${protocolKey}=${protocolRaw}: must be one of ${SECURITY_PROTOCOLS.join(', ')}`);
  let sasl: KafkaClientSecurity['sasl'];
  if (protocol.startsWith('SASL_')) {
    const [mech, mechKey] = pick('KAFKA_SASL_MECHANISM', 'sasl.mechanisms');
    const [username, userKey] = pick('KAFKA_SASL_USERNAME', 'sasl.username');
    const [password, passKey] = pick('KAFKA_SASL_PASSWORD', 'sasl.password');
    const mechanism = (props.has('sasl.mechanism') && mech === '' ? props.get('sasl.mechanism')! : mech).toUpperCase() as SaslMechanism;
    if (!(mechanism in MECHANISMS)) problems.push(`${mechKey}=${mech}: must be one of ${Object.keys(MECHANISMS).join(', ')} with ${protocol}`);
    if (username === '') problems.push(`${userKey} is required with ${protocol}`);
    if (password === '') problems.push(`${passKey} is required with ${protocol}`);
    sasl = Object.freeze({ mechanism, username, password });
  }
  let caPem: string | undefined;
  const [caRaw, caKey] = pick('KAFKA_SSL_CA_LOCATION', 'ssl.ca.location');
  let caLocation = caRaw;
  if (caLocation !== '' && protocol.endsWith('SSL')) {
    if (caKey !== 'KAFKA_SSL_CA_LOCATION' && !isAbsolute(caLocation)) caLocation = resolve(base, caLocation);
    try {
      caPem = readFileSync(caLocation, 'utf8');
      if (!caPem.includes('-----BEGIN CERTIFICATE-----')) problems.push(`${caKey}=${caLocation}: no PEM certificate in it`);
    } catch (e) {
      problems.push(`${caKey}=${caLocation}: ${(e as Error).message}`);
    }
  }
  const readPem = (envKey: keyof KafkaSecuritySettings, prop: string): [string, string] | undefined => {
    const [raw, key] = pick(envKey, prop);
    if (raw === '') return undefined;
    let path = raw;
    if (key !== envKey && !isAbsolute(path)) path = resolve(base, path);
    try { return [readFileSync(path, 'utf8'), path]; } catch (e) { problems.push(`${key}=${path}: ${(e as Error).message}`); return undefined; }
  };
  let clientCert: KafkaClientSecurity['clientCert'];
  if (protocol.endsWith('SSL')) {
    const cert = readPem('KAFKA_SSL_CERTIFICATE_LOCATION', 'ssl.certificate.location');
    const key = readPem('KAFKA_SSL_KEY_LOCATION', 'ssl.key.location');
    if (cert && key) clientCert = Object.freeze({ certPem: cert[0], keyPem: key[0], certLocation: cert[1] });
    else if (cert || key) problems.push('ssl.certificate.location and ssl.key.location go together (KAFKA_SSL_CERTIFICATE_LOCATION, KAFKA_SSL_KEY_LOCATION)');
  }
  const servers = props.get('bootstrap.servers')?.split(',').map((x) => x.trim()).filter(Boolean);
  if (problems.length > 0) throw new CrosstraceError('CT_CONFIG', `invalid Kafka client security settings:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze({ protocol, sasl, caPem, caLocation: caPem ? caLocation : undefined, clientCert, bootstrap: servers?.length ? Object.freeze(servers) : undefined });
}

/** The kafkajs options for it: `ssl` (hostname checked, the given CA only) and `sasl`. */
export function kafkajsSecurity(sec: KafkaClientSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (!sec || sec.protocol === 'PLAINTEXT') return {};
  const tls = { ...(sec.caPem ? { ca: [sec.caPem] } : {}), ...(sec.clientCert ? { cert: sec.clientCert.certPem, key: sec.clientCert.keyPem } : {}) };
  const ssl = sec.protocol.endsWith('SSL') ? (Object.keys(tls).length > 0 ? { ...tls, rejectUnauthorized: true } : true) : undefined;
  const sasl = sec.sasl ? ({ mechanism: MECHANISMS[sec.sasl.mechanism], username: sec.sasl.username, password: sec.sasl.password } as SASLOptions) : undefined;
  return { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}

/** For logs: protocol, mechanism, user and CA file, never the password. */
export function describeKafkaSecurity(sec: KafkaClientSecurity | undefined): string {
  if (!sec || sec.protocol === 'PLAINTEXT') return 'PLAINTEXT';
  return [sec.protocol, sec.sasl ? `${sec.sasl.mechanism} as ${sec.sasl.username}` : '', sec.clientCert ? `client certificate ${sec.clientCert.certLocation}` : '', sec.caLocation ? `CA ${sec.caLocation}` : 'system CAs'].filter(Boolean).join(', ');
}

/** Said in every SCRAM properties file: librdkafka before 2.6.1 sends the client nonce twice in
 *  its SCRAM final message, which Kafka 4 refuses (librdkafka#4895): the file is right, the login
 *  fails ("Authentication failed ... invalid credentials with SASL mechanism SCRAM-SHA-512"). */
export const SCRAM_LIBRDKAFKA_NOTE = 'SCRAM with Kafka 4 needs librdkafka >= 2.6.1 (Debian 12\'s kcat and python3-confluent-kafka have 2.0.2, whose login\n' +
  'Kafka 4 refuses): with an older one use a TLS client certificate (partners: <CC>-tls.properties), or Java clients\n' +
  '(deploy/security/java-client-properties.sh turns this file into their form)';

/** A librdkafka-style properties file for one principal (what `admin partner add` hands out):
 *  SASL_SSL with SCRAM-SHA-512 given a password, SSL with a client certificate given one. */
export function clientPropertiesText(o: { bootstrap: readonly string[]; caLocation: string; comment?: string } &
  ({ username: string; password: string } | { certificateLocation: string; keyLocation: string })): string {
  const comment = [o.comment, 'password' in o ? SCRAM_LIBRDKAFKA_NOTE : undefined].filter((c) => c !== undefined).join('\n');
  const lines = 'password' in o
    ? ['security.protocol=SASL_SSL', 'sasl.mechanisms=SCRAM-SHA-512', `sasl.username=${o.username}`, `sasl.password=${o.password}`]
    : ['security.protocol=SSL', `ssl.certificate.location=${o.certificateLocation}`, `ssl.key.location=${o.keyLocation}`];
  const body = [`bootstrap.servers=${o.bootstrap.join(',')}`, ...lines, `ssl.ca.location=${o.caLocation}`];
  if (body.some((l) => /[\r\n]/.test(l))) throw new CrosstraceError('CT_CONFIG', 'a client property value must not contain a line break');
  return [...(comment ? comment.split('\n').map((l) => `# ${l}`) : []), ...body, ''].join('\n');
}
