// Ingest settings. Own keys: CROSSTRACE_INGEST_*.
import { bool, commonSpec, defineConfig, int, str } from '../common/config.ts';

export const ingestConfig = defineConfig('CROSSTRACE_INGEST_', {
  ...commonSpec,
  CROSSTRACE_INGEST_HTTP_PORT: int('Port of /metrics and /healthz.', 9101, 0, 65535),
  CROSSTRACE_INGEST_GROUP_ID: str('Kafka consumer group.', 'crosstrace-ingest'),
  CROSSTRACE_INGEST_PROVIDERS_FILE: str('Provider registry seed file (JSON array of Provider records).', 'deploy/providers.json'),
  CROSSTRACE_INGEST_MAX_MESSAGE_BYTES: int('Largest raw message value accepted, bytes; larger ones are dead-lettered.', 65_536, 64, 10_485_760),
  CROSSTRACE_INGEST_FUTURE_TOLERANCE_MS: int('How far past receipt an event time may lie, ms.', 300_000, 0, 86_400_000),
  CROSSTRACE_INGEST_RETENTION_MS: int('Flow records older than this vs. receipt are rejected (window gone), ms.', 86_400_000, 60_000, 30 * 86_400_000),
  CROSSTRACE_INGEST_MAX_SESSION_AGE_MS: int('Ceiling of the per-provider maximum session age (deploy/providers.json maxSessionAgeMs): session records older than their provider\'s age are rejected, younger ones kept whatever the flow retention, ms.', 14 * 86_400_000, 60_000, 30 * 86_400_000),
  CROSSTRACE_INGEST_HISTORY_DAYS: int('How far back the history store (archive) keeps records, days: records up to this old are accepted even past the live limits above (the correlator indexes only what its windows cover, the archive keeps them all); 0 = no history store, the live limits apply.', 180, 0, 36_500),
  CROSSTRACE_INGEST_DEDUPE_WINDOW_MS: int('How long an event id is remembered for dedupe, ms.', 600_000, 1_000, 86_400_000),
  CROSSTRACE_INGEST_DEDUPE_PER_KEY: bool('Dedupe with one pipelined SET per event instead of one script per chunk of events (needed on Redis Cluster).', false),
  CROSSTRACE_INGEST_FLOW_MARKS: bool('Follow each flow exporter\'s batch with a watermark record in every flows.norm partition it did not reach (join/flow-watermark.ts), so a quiet exporter\'s relay lookups settle. Deploy correlator and archive of this version first: older ones dead-letter them.', true),
  CROSSTRACE_INGEST_FLOW_MARK_LAG_MS: int('How far behind the batch\'s latest export time a watermark record claims, ms: the raw reordering of an exporter\'s records it tolerates (the collector retries a failed batch after later ones; its produce can take a request timeout, 30 s). A quiet exporter\'s relay lookups settle this much later.', 60_000, 0, 3_600_000),
  CROSSTRACE_INGEST_CLOCK_FLAG_MS: int('Exporter clock offset above which its events are flagged and dead-lettered, ms.', 3_600_000, 1_000, 30 * 86_400_000),
  CROSSTRACE_INGEST_PARTITIONS: int('Partitions of the topics ingest creates when missing.', 6, 1, 1024),
  CROSSTRACE_INGEST_FROM_BEGINNING: bool('Start a new consumer group at the earliest offset.', true),
  CROSSTRACE_INGEST_PARTITIONS_CONCURRENTLY: int('Raw-topic partitions handled at the same time (each in its own order).', 12, 1, 1024),
  CROSSTRACE_INGEST_FETCH_BYTES_PER_PARTITION: int('Most bytes fetched per partition and fetch (a record batch larger than this still comes whole).', 262_144, 16_384, 52_428_800),
  CROSSTRACE_INGEST_FETCH_BYTES: int('Most bytes per fetch, all partitions together: what one fetch holds in memory, decoded, while it is handled. 2 MiB: draining a 200k-event backlog with a 16 MiB semi-space, peak RSS 390 MiB at 10 MiB, 333 at 4, 307 at 2, CPU per record the same within the noise (bench/drain-memory.ts, bench/ROUNDS.md round 4).', 2_097_152, 65_536, 104_857_600),
  CROSSTRACE_INGEST_CHUNK_RECORDS: int('Most raw records handled, produced and committed as one step (a larger fetched batch is handled in steps of this many).', 1000, 1, 100_000),
}, (c) => (c.CROSSTRACE_INGEST_DEDUPE_WINDOW_MS > c.CROSSTRACE_INGEST_RETENTION_MS
  ? ['CROSSTRACE_INGEST_DEDUPE_WINDOW_MS must not exceed CROSSTRACE_INGEST_RETENTION_MS'] : []));

export type IngestConfig = ReturnType<typeof ingestConfig.parse>;
