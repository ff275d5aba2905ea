// What a secured Kafka container needs and what its clients need, made on the host for one
// test run by deploy/security/kafka-container-config.sh (the same files docker compose
// mounts): the development CA and broker certificate, the SCRAM users, server.properties
// advertising the host's mapped ports, plus the admin's client properties for the tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const CONTAINER_DIR = '/etc/crosstrace';

export interface KafkaSecurityFiles {
  /** Host folder of everything below (removed at the end of the run). */
  root: string;
  /** Host folder holding ca.pem and ca.key. */
  dir: string;
  adminProperties: string;
  /** Files to copy into the container's /etc/crosstrace. */
  containerFiles: { content: string; target: string; mode: number }[];
}

/** `host` is where clients reach the container; `port`/`mtlsPort` the host ports mapped to
 *  the SASL_SSL (9092) and mutual-TLS (9095) listeners. */
export function makeKafkaSecurityFiles(host: string, port: number, mtlsPort: number): KafkaSecurityFiles {
  const dir = mkdtempSync(join(tmpdir(), 'crosstrace-kafka-security-'));
  execFileSync(join(ROOT, 'deploy/security/kafka-container-config.sh'), [dir, `${host}:${port}`, `${host}:${mtlsPort}`, `${isIP(host) ? 'IP' : 'DNS'}:${host}`],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  const adminProperties = join(dir, 'admin.properties');
  writeFileSync(adminProperties, [
    `bootstrap.servers=${host}:${port}`, 'security.protocol=SASL_SSL', 'sasl.mechanisms=SCRAM-SHA-512',
    'sasl.username=admin', `sasl.password=${readFileSync(join(dir, 'admin.password'), 'utf8').trim()}`, `ssl.ca.location=${join(dir, 'pki', 'ca.pem')}`, '',
  ].join('\n'), { mode: 0o600 });
  const kafkaDir = join(dir, 'kafka');
  return {
    root: dir, dir: join(dir, 'pki'), adminProperties,
    containerFiles: readdirSync(kafkaDir).map((name) => ({
      content: readFileSync(join(kafkaDir, name), 'utf8'), target: `${CONTAINER_DIR}/${name}`, mode: name.endsWith('.sh') ? 0o755 : 0o644,
    })),
  };
}
