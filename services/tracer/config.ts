// Tracer settings. Own keys: CROSSTRACE_TRACER_*.
import { bool, commonSpec, defineConfig, int, str } from '../common/config.ts';
import { joinSpec } from '../join/join-config.ts';

export const tracerConfig = defineConfig('CROSSTRACE_TRACER_', {
  ...commonSpec,
  ...joinSpec('CROSSTRACE_TRACER_'),
  DATABASE_URL: str('PostgreSQL URL of the history store (the archive service fills it): lookups older than the live windows, or not found in them, are answered from it too; empty = live windows only.', ''),
  CROSSTRACE_TRACER_ARCHIVE_RECHECK_MS: int('An open end older than the live windows (their RETENTION_MS) is re-read from the archive this often, ms: late records of old communications reach it only that way.', 5_000, 500, 3_600_000),
  CROSSTRACE_TRACER_HTTP_PORT: int('Port of /metrics and /healthz.', 9103, 0, 65535),
  CROSSTRACE_TRACER_GROUP_ID: str('Kafka consumer group.', 'crosstrace-tracer'),
  CROSSTRACE_TRACER_PROVIDERS_FILE: str('Provider registry seed file.', 'deploy/providers.json'),
  CROSSTRACE_TRACER_NODE_ID: str('This node\'s name in logs and /healthz.', 'crosstrace-node'),
  CROSSTRACE_TRACER_LIVE_REFRESH_MS: int('A live hop\'s "still active, last seen" is published at most this often (an end or a re-ranking at once), ms; 0 = every re-evaluation.', 15_000, 0, 3_600_000),
  CROSSTRACE_TRACER_FLOW_EXPORT_LAG_MS: int('Flow exporters\' active timeout plus export delay, ms: a hosting server\'s owner ends a chain only once this has passed since the observation window and the server\'s own outbound flow to the peer was read (no inbound relay flow beside it).', 65_000, 0, 86_400_000),
  CROSSTRACE_TRACER_TRANSACTIONAL_ID: str('Kafka transactional id of the publisher (each publish is one transaction); empty = crosstrace-tracer-<NODE_ID>.', ''),
  CROSSTRACE_TRACER_SIGNING_KEY_FILE: str('PEM file of this node\'s Ed25519 private key (0600; `bin/crosstrace admin key create` makes it); `<file>.pub` lists its public keys for partners. Missing: start fails, unless CROSSTRACE_DEMO.', '.stack/keys/node-ed25519.pem'),
  CROSSTRACE_TRACER_TRUST_FILE: str('Trust file listing the node\'s public keys (PEM, with validity), what partners and the gateway are given; empty = `<signing key file>.pub`.', ''),
  CROSSTRACE_DEMO: bool('Demo or test run: a missing signing key is made (and listed in `<key file>.pub`) instead of failing the start.', false),
  CROSSTRACE_TRACER_STALL_AFTER_MS: int('An open end waiting longer than this marks the chain stalled, ms.', 10_000, 100, 86_400_000),
  CROSSTRACE_TRACER_TICK_MS: int('How often open traces are checked for stall and expiry, ms.', 1_000, 50, 60_000),
  CROSSTRACE_TRACER_MAX_WAITERS_PER_KEY: int('Most open lookups waiting on one address; one more is refused (CT_HOT_KEY, dead-lettered with that reason); 0 = no cap.', 5_000, 0, 1_000_000),
  CROSSTRACE_TRACER_PARTITIONS: int('Partitions of topics created when missing.', 6, 1, 1024),
  CROSSTRACE_TRACER_FROM_BEGINNING: bool('Start a new consumer group at the earliest offset.', true),
});

export type TracerConfig = ReturnType<typeof tracerConfig.parse>;
