// Collector metrics, per exporter (its registry id; "unknown" for senders the registry does
// not know, so a scan of addresses cannot grow the label set).
import { Counter, Gauge } from 'prom-client';
import { createStageMetrics } from '../common/metrics.ts';

export function createCollectorMetrics() {
  const stage = createStageMetrics('collector');
  const r = [stage.registry];
  const p = 'crosstrace_collector_';
  return {
    stage,
    packets: new Counter({ name: `${p}packets_total`, help: 'Packets (UDP datagrams, TCP-framed IPFIX messages) received, by exporter and protocol.', labelNames: ['exporter', 'protocol'], registers: r }),
    records: new Counter({ name: `${p}records_total`, help: 'Data records decoded, by exporter and protocol.', labelNames: ['exporter', 'protocol'], registers: r }),
    templates: new Counter({ name: `${p}templates_total`, help: 'Templates and options templates learned (refreshes included), by exporter and protocol.', labelNames: ['exporter', 'protocol'], registers: r }),
    drops: new Counter({ name: `${p}drops_total`, help: 'Packets, sets or records not turned into events, by exporter, protocol and reason code (dead-lettered unless the reason says otherwise).', labelNames: ['exporter', 'protocol', 'reason'], registers: r }),
    ignored: new Counter({ name: `${p}ignored_total`, help: 'Valid records that name no flow or mapping (natEvent 3, Accounting-On/Off), by exporter and protocol.', labelNames: ['exporter', 'protocol'], registers: r }),
    lastSeen: new Gauge({ name: `${p}exporter_last_seen_seconds`, help: 'When a packet from the exporter was last received, UNIX seconds.', labelNames: ['exporter', 'protocol'], registers: r }),
    pending: new Gauge({ name: `${p}pending_sets`, help: 'Data sets waiting for their template.', registers: r }),
    queued: new Gauge({ name: `${p}queued_records`, help: 'Records waiting to be produced to Kafka.', registers: r }),
    socketDrops: new Gauge({ name: `${p}socket_drops`, help: 'Datagrams the kernel dropped on the listener socket (full receive buffer), from /proc/net/udp*.', labelNames: ['listener'], registers: r }),
    rcvbuf: new Gauge({ name: `${p}socket_rcvbuf_bytes`, help: 'SO_RCVBUF the kernel granted the listener socket, bytes.', labelNames: ['listener'], registers: r }),
  };
}

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;
