// Archive settings. Own keys: CROSSTRACE_ARCHIVE_*; DATABASE_URL is shared with the tracer.
import { bool, commonSpec, defineConfig, int, str, url } from '../common/config.ts';

export const archiveConfig = defineConfig('CROSSTRACE_ARCHIVE_', {
  ...commonSpec,
  DATABASE_URL: url('PostgreSQL URL of the history store (postgres://user:password@host:port/db).', ['postgres:', 'postgresql:'], 'postgres://crosstrace@127.0.0.1:15432/crosstrace'),
  CROSSTRACE_ARCHIVE_HTTP_PORT: int('Port of /metrics and /healthz.', 9106, 0, 65535),
  CROSSTRACE_ARCHIVE_GROUP_ID: str('Kafka consumer group.', 'crosstrace-archive'),
  CROSSTRACE_ARCHIVE_PROVIDERS_FILE: str('Provider registry seed file; each provider\'s retentionDays is how long the history store keeps its records (absent = CROSSTRACE_ARCHIVE_RETENTION_DAYS).', 'deploy/providers.json'),
  CROSSTRACE_ARCHIVE_PARTITIONS: int('Partitions of topics created when missing.', 6, 1, 1024),
  CROSSTRACE_ARCHIVE_FROM_BEGINNING: bool('Start a new consumer group at the earliest offset (the archive wants everything still in Kafka).', true),
  CROSSTRACE_ARCHIVE_POOL_SIZE: int('Most PostgreSQL connections (one per batch being written).', 4, 1, 64),
  CROSSTRACE_ARCHIVE_FETCH_BYTES_PER_PARTITION: int('Most bytes fetched per partition and fetch (a record batch larger than this still comes whole; group commit may write the batches of several partitions in one transaction), bytes.', 524_288, 16_384, 67_108_864),
  CROSSTRACE_ARCHIVE_FETCH_BYTES: int('Most bytes per fetch, all partitions together: what one fetch holds in memory, decoded, while it is written, bytes. Issue 14, bench/drain-memory.ts archive of 200k records (2026-12-02, load 14-18): peak RSS 357 MiB at 10 MiB (4 MiB per partition, before), 318 at 4 MiB (512 KiB), 291 at 2 MiB (256 KiB); CPU per record 12.3, 14.8, 15.4-16.3 µs, ingest in the same runs 13.9, 15.7, 14.6-15.9: 4 MiB is within the noise, 2 MiB not clearly.', 4_194_304, 65_536, 104_857_600),
  CROSSTRACE_ARCHIVE_FETCH_MIN_BYTES: int('Bytes a fetch waits for (all partitions together) before it returns, at most CROSSTRACE_ARCHIVE_FETCH_WAIT_MS: fewer, larger batches, i.e. fewer transactions and commits per record; the archive is not on the live path (the tracer reads it for windows older than Redis keeps), bytes.', 1_048_576, 1, 67_108_864),
  CROSSTRACE_ARCHIVE_FETCH_WAIT_MS: int('Longest a fetch waits for CROSSTRACE_ARCHIVE_FETCH_MIN_BYTES, ms (a record is archived at most about this much later than with no wait).', 1_000, 10, 10_000),
  CROSSTRACE_ARCHIVE_BATCH_RECORDS: int('Most records per batch (one transaction): a larger fetched batch is written in chunks of this many.', 1000, 1, 100_000),
  CROSSTRACE_ARCHIVE_TRANSACTION_ROWS: int('Group commit: batches handed in while a transaction is under way go together in the next one, up to this many rows; 0 = one transaction per batch.', 20_000, 0, 1_000_000),
  CROSSTRACE_ARCHIVE_TRANSACTIONS: int('Group commit: transactions under way at once.', 1, 1, 64),
  CROSSTRACE_ARCHIVE_RETENTION_DAYS: int('Default retention of the history store, days (providers with no retentionDays in the registry file and not named in CROSSTRACE_ARCHIVE_PROVIDER_RETENTION).', 180, 1, 36_500),
  CROSSTRACE_ARCHIVE_PROVIDER_RETENTION: str('Retention per provider overriding the registry file\'s retentionDays, `providerId:days,...` (e.g. `fr-telecom:365`): sessions are swept per provider; flow day partitions go after the longest retention.', ''),
  CROSSTRACE_ARCHIVE_RETENTION_EVERY_MS: int('Interval of the scheduled retention run, ms (the first run is one minute after start).', 3_600_000, 10_000, 7 * 86_400_000),
});

export type ArchiveConfig = ReturnType<typeof archiveConfig.parse>;
