// What a secured Kafka container needs and what its clients need, made on the host for one
// test run: the development CA and broker certificate (deploy/security/dev-pki.sh), the
// broker's and the admin's SCRAM passwords, the broker's server.properties, and the admin's
// client properties. Mirrors deploy/local/kafka/server.properties.tmpl; the listeners differ:
// the container advertises the host's mapped ports.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const CONTAINER_DIR = '/etc/crosstrace';

export interface KafkaSecurityFiles {
  /** Host folder: ca.pem, ca.key, broker.pem, admin.properties. */
  dir: string;
  adminProperties: string;
  /** Files to copy into the container's /etc/crosstrace. */
  containerFiles: { content: string; target: string; mode: number }[];
}

const password = (): string => randomBytes(24).toString('base64url');

/** `host` is where clients reach the container; `port`/`mtlsPort` the host ports mapped to
 *  the SASL_SSL (9092) and mutual-TLS (9095) listeners. */
export function makeKafkaSecurityFiles(host: string, port: number, mtlsPort: number): KafkaSecurityFiles {
  const dir = mkdtempSync(join(tmpdir(), 'crosstrace-kafka-security-'));
  execFileSync(join(ROOT, 'deploy/security/dev-pki.sh'), [dir, `${isIP(host) ? 'IP' : 'DNS'}:${host}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const broker = password();
  const admin = password();
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="${broker}";`;
  const server = [
    'process.roles=broker,controller', 'node.id=1', 'controller.quorum.voters=1@localhost:9093',
    'listeners=SASL_SSL://0.0.0.0:9092,SSL://0.0.0.0:9095,BROKER://localhost:9094,CONTROLLER://localhost:9093',
    `advertised.listeners=SASL_SSL://${host}:${port},SSL://${host}:${mtlsPort},BROKER://localhost:9094`,
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,SSL:SSL,BROKER:SASL_SSL,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER', 'inter.broker.listener.name=BROKER',
    'sasl.enabled.mechanisms=SCRAM-SHA-512', 'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas}`, `listener.name.broker.scram-sha-512.sasl.jaas.config=${jaas}`,
    'listener.name.ssl.ssl.client.auth=required',
    'ssl.principal.mapping.rules=RULE:^CN=(partner-[A-Z][A-Z]|exporter-[a-z0-9._-]+)(,.*)?$/$1/,DEFAULT',
    `ssl.keystore.type=PEM`, `ssl.keystore.location=${CONTAINER_DIR}/broker.pem`,
    `ssl.truststore.type=PEM`, `ssl.truststore.location=${CONTAINER_DIR}/ca.pem`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found=false', 'super.users=User:admin;User:broker;User:ANONYMOUS',
    'log.dirs=/tmp/kafka-data', 'num.partitions=3',
    'offsets.topic.replication.factor=1', 'transaction.state.log.replication.factor=1', 'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1', 'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0', '',
  ].join('\n');
  const adminProperties = join(dir, 'admin.properties');
  writeFileSync(adminProperties, [
    `bootstrap.servers=${host}:${port}`, 'security.protocol=SASL_SSL', 'sasl.mechanisms=SCRAM-SHA-512',
    'sasl.username=admin', `sasl.password=${admin}`, `ssl.ca.location=${join(dir, 'ca.pem')}`, '',
  ].join('\n'), { mode: 0o600 });
  const file = (name: string): string => readFileSync(join(dir, name), 'utf8');
  return {
    dir, adminProperties,
    containerFiles: [
      // readable by the image's own user (uid 1000): a throw-away broker key of a test container
      { content: server, target: `${CONTAINER_DIR}/server.properties`, mode: 0o644 },
      { content: `SCRAM-SHA-512=[name=broker,password=${broker}]\nSCRAM-SHA-512=[name=admin,password=${admin}]\n`, target: `${CONTAINER_DIR}/scram`, mode: 0o644 },
      { content: file('broker.pem'), target: `${CONTAINER_DIR}/broker.pem`, mode: 0o644 },
      { content: file('ca.pem'), target: `${CONTAINER_DIR}/ca.pem`, mode: 0o644 },
      { content: readFileSync(join(ROOT, 'deploy/podman/kafka/log4j2.properties'), 'utf8'), target: `${CONTAINER_DIR}/log4j2.properties`, mode: 0o644 },
      { content: readFileSync(join(ROOT, 'deploy/security/kafka-container-start.sh'), 'utf8'), target: `${CONTAINER_DIR}/start.sh`, mode: 0o755 },
    ],
  };
}
