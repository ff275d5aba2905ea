// Correlator settings. Own keys: CROSSTRACE_CORRELATOR_*.
import { bool, commonSpec, defineConfig, int, str } from '../common/config.ts';
import { joinSpec } from '../join/join-config.ts';
import { FLUSH_EVENTS, REPLAY_FETCH_BYTES } from '../join/state-rebuild.ts';
import { DEFAULT_HOPS_REMEMBERED } from './published-hops.ts';

export const correlatorConfig = defineConfig('CROSSTRACE_CORRELATOR_', {
  ...commonSpec,
  ...joinSpec('CROSSTRACE_CORRELATOR_'),
  CROSSTRACE_CORRELATOR_HTTP_PORT: int('Port of /metrics and /healthz.', 9102, 0, 65535),
  CROSSTRACE_CORRELATOR_GROUP_ID: str('Kafka consumer group.', 'crosstrace-correlator'),
  CROSSTRACE_CORRELATOR_PROVIDERS_FILE: str('Provider registry seed file.', 'deploy/providers.json'),
  CROSSTRACE_CORRELATOR_PARTITIONS: int('Partitions of topics created when missing.', 6, 1, 1024),
  CROSSTRACE_CORRELATOR_REBUILD_EMPTY_REDIS: bool('At start, when Redis holds no state (marker ct:state:built:v2 missing: none, or windows of an older layout) while flows.norm / sessions.norm hold records, rebuild the windows from them first; false = take the empty Redis as intended (a fresh deployment on old topics).', true),
  CROSSTRACE_CORRELATOR_ARCHIVE_ANSWERS_OLD: bool('The tracer reads the archive (it has a DATABASE_URL): lookups whose window began longer ago than RETENTION_MS are left to it, answered from the live windows and the archive together; false = the correlator answers every lookup from the live windows (a node without an archive).', true),
  CROSSTRACE_CORRELATOR_HOPS_REMEMBERED: int('Hop ids whose last published version the correlator keeps in memory (least recently used dropped first; ~215 bytes each: 21 MiB when full), so a hop resolved again exactly as published is not published to trace.hops again; a restart or a forgotten id lets one repeat through (harmless: the tracer takes it for unchanged). 0 = every hop resolved is published.', DEFAULT_HOPS_REMEMBERED, 0, 10_000_000),
  CROSSTRACE_CORRELATOR_FROM_BEGINNING: bool('Start a new consumer group at the earliest offset.', true),
  CROSSTRACE_CORRELATOR_FETCH_BYTES_PER_PARTITION: int('Most bytes fetched per partition and fetch (a record batch larger than this still comes whole).', 262_144, 16_384, 52_428_800),
  CROSSTRACE_CORRELATOR_REBUILD_FETCH_BYTES: int('Most bytes per fetch of the window rebuild\'s replay, all partitions together (per partition an eighth of it): a fetch is decoded whole into V8\'s heap; the measurement behind the default is at REPLAY_FETCH_BYTES in join/state-rebuild.ts, bytes.', REPLAY_FETCH_BYTES, 1_048_576, 268_435_456),
  CROSSTRACE_CORRELATOR_REBUILD_BATCH_EVENTS: int('Events the window rebuild buffers before a bulk write into Redis (one write in flight while the next batch is read: two batches in memory).', FLUSH_EVENTS, 1_000, 1_000_000),
  CROSSTRACE_CORRELATOR_FETCH_BYTES: int('Most bytes per fetch, all partitions together: what one fetch holds in memory, decoded, while it is handled. 2 MiB: draining a 200k-event backlog with a 16 MiB semi-space, peak RSS 337 MiB at 4 MiB, 307 at 2, 39 -> 33 µs CPU per record (bench/drain-memory.ts, bench/ROUNDS.md round 4).', 2_097_152, 65_536, 104_857_600),
});

export type CorrelatorConfig = ReturnType<typeof correlatorConfig.parse>;
