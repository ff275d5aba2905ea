// Correlator settings. Own keys: CROSSTRACE_CORRELATOR_*.
import { bool, commonSpec, defineConfig, int, str } from '../common/config.ts';

export const correlatorConfig = defineConfig('CROSSTRACE_CORRELATOR_', {
  ...commonSpec,
  CROSSTRACE_CORRELATOR_HTTP_PORT: int('Port of /metrics and /healthz.', 9102, 0, 65535),
  CROSSTRACE_CORRELATOR_GROUP_ID: str('Kafka consumer group.', 'crosstrace-correlator'),
  CROSSTRACE_CORRELATOR_PROVIDERS_FILE: str('Provider registry seed file.', 'deploy/providers.json'),
  CROSSTRACE_CORRELATOR_RETENTION_MS: int('How long indexed events stay in a window unless pinned, ms.', 86_400_000, 60_000, 30 * 86_400_000),
  CROSSTRACE_CORRELATOR_MAX_SESSION_AGE_MS: int('An open session with a lost stop counts as open at most this long, ms.', 86_400_000, 60_000, 30 * 86_400_000),
  CROSSTRACE_CORRELATOR_MAX_FLOW_AGE_MS: int('Longest flow relay timing looks back over, ms.', 21_600_000, 60_000, 7 * 86_400_000),
  CROSSTRACE_CORRELATOR_CLOCK_TOLERANCE_MS: int('Residual exporter clock error allowed in matches, ms.', 2_000, 0, 600_000),
  CROSSTRACE_CORRELATOR_PARTITIONS: int('Partitions of topics created when missing.', 6, 1, 1024),
  CROSSTRACE_CORRELATOR_FROM_BEGINNING: bool('Start a new consumer group at the earliest offset.', true),
});

export type CorrelatorConfig = ReturnType<typeof correlatorConfig.parse>;
