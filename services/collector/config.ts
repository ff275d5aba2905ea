// Collector settings. Own keys: CROSSTRACE_COLLECTOR_*.
import { commonSpec, defineConfig, int, list, str } from '../common/config.ts';

export const LISTENERS = ['ipfix-udp', 'ipfix-tcp', 'netflow9-udp', 'radius-udp'] as const;
export type ListenerName = (typeof LISTENERS)[number];

export const collectorConfig = defineConfig('CROSSTRACE_COLLECTOR_', {
  ...commonSpec,
  CROSSTRACE_COLLECTOR_HTTP_PORT: int('Port of /metrics and /healthz.', 9107, 0, 65535),
  CROSSTRACE_COLLECTOR_BIND: str('Address the UDP/TCP listeners bind (IPv4 or IPv6 text).', '127.0.0.1'),
  CROSSTRACE_COLLECTOR_LISTENERS: list(`Listeners to open, any of ${LISTENERS.join(', ')}.`, [...LISTENERS]),
  CROSSTRACE_COLLECTOR_IPFIX_PORT: int('IPFIX port, UDP and TCP (RFC 7011: 4739); 0 = any free port.', 4739, 0, 65535),
  CROSSTRACE_COLLECTOR_NETFLOW9_PORT: int('NetFlow v9 UDP port; 0 = any free port.', 2055, 0, 65535),
  CROSSTRACE_COLLECTOR_RADIUS_PORT: int('RADIUS accounting UDP port (RFC 2866: 1813); 0 = any free port.', 1813, 0, 65535),
  CROSSTRACE_COLLECTOR_RADIUS_FILE: str('JSON file {"nas": {"<NAS address>": "<shared secret>"}, "pseudonymKey": "<32+ chars>"}; required when radius-udp listens.', ''),
  CROSSTRACE_COLLECTOR_PROVIDERS_FILE: str('Provider registry seed file; exporter ids "<address>" or "<address>#<observation domain>" name devices.', 'deploy/providers.json'),
  CROSSTRACE_COLLECTOR_RCVBUF_BYTES: int('SO_RCVBUF asked for each UDP socket, bytes (the kernel caps it at net.core.rmem_max).', 8 * 1024 * 1024, 65_536, 1 << 30),
  CROSSTRACE_COLLECTOR_BATCH_RECORDS: int('Records produced per Kafka request at most (then chunked by bytes as everywhere).', 5000, 1, 100_000),
  CROSSTRACE_COLLECTOR_LINGER_MS: int('How long a record may wait for its batch to fill, ms.', 20, 0, 5000),
  CROSSTRACE_COLLECTOR_MAX_QUEUED: int('Records held while Kafka is slow or down; flow records beyond it are dropped and counted, RADIUS is not answered (the NAS resends).', 200_000, 1000, 10_000_000),
  CROSSTRACE_COLLECTOR_PENDING_MAX_SETS: int('Data sets held while their template is unknown, all exporters together.', 4096, 0, 1_000_000),
  CROSSTRACE_COLLECTOR_PENDING_TIMEOUT_MS: int('How long a data set waits for its template, ms; then it is dead-lettered (CT_NO_TEMPLATE).', 30_000, 100, 3_600_000),
  CROSSTRACE_COLLECTOR_PARTITIONS: int('Partitions of the topics the collector creates when missing.', 6, 1, 1024),
}, (c) => {
  const bad = c.CROSSTRACE_COLLECTOR_LISTENERS.filter((l) => !(LISTENERS as readonly string[]).includes(l));
  return [
    ...(bad.length ? [`CROSSTRACE_COLLECTOR_LISTENERS: unknown listener(s) ${bad.join(', ')}; use ${LISTENERS.join(', ')}`] : []),
    ...(c.CROSSTRACE_COLLECTOR_LISTENERS.includes('radius-udp') && !c.CROSSTRACE_COLLECTOR_RADIUS_FILE
      ? ['CROSSTRACE_COLLECTOR_RADIUS_FILE is required when radius-udp listens (NAS shared secrets and the pseudonym key)'] : []),
  ];
});

export type CollectorConfig = ReturnType<typeof collectorConfig.parse>;
