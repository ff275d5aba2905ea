// collector: IPFIX (UDP, TCP), NetFlow v9 (UDP) and RADIUS accounting (UDP) from provider
// devices -> flows.raw / sessions.raw, bad packets -> dlq.collector. Reads config, builds
// adapters, wires the listeners, handles SIGTERM.
import { ensureTopics } from '../common/kafka.ts';
import { startOpsServer } from '../common/http-server.ts';
import { startServiceKit } from '../common/service-kit.ts';
import { TOPICS, dlqTopic } from '../common/topics.ts';
import { collectorConfig, type ListenerName } from './config.ts';
import { startIpfixTcpListener, startUdpListener, type UdpListener } from './listeners.ts';
import { createCollectorMetrics } from './metrics.ts';
import { createCollectorPipeline } from './pipeline.ts';
import { loadRadiusFile } from './radius-file.ts';
import { createRecordSink } from './record-sink.ts';
import { runService } from '../common/lifecycle.ts';

export async function startCollector(env: Record<string, string | undefined> = process.env) {
  const cfg = collectorConfig.parse(env);
  const on = (l: ListenerName) => cfg.CROSSTRACE_COLLECTOR_LISTENERS.includes(l);
  const radiusSettings = on('radius-udp') ? loadRadiusFile(cfg.CROSSTRACE_COLLECTOR_RADIUS_FILE) : null;
  const metrics = createCollectorMetrics();
  const kit = await startServiceKit({
    service: 'collector', cfg, providersFile: cfg.CROSSTRACE_COLLECTOR_PROVIDERS_FILE, partitions: cfg.CROSSTRACE_COLLECTOR_PARTITIONS,
    subjects: [TOPICS.flowsRaw, TOPICS.sessionsRaw], usesRedis: false,
  });
  const { logger, life, directory, registry, producer, admin } = kit;
  await ensureTopics(admin, [{ topic: dlqTopic('collector'), numPartitions: 1 }]);
  const sink = createRecordSink({
    producer, registry, logger, batchRecords: cfg.CROSSTRACE_COLLECTOR_BATCH_RECORDS, lingerMs: cfg.CROSSTRACE_COLLECTOR_LINGER_MS, maxQueued: cfg.CROSSTRACE_COLLECTOR_MAX_QUEUED,
    onProduced: (topic, n) => metrics.stage.messagesOut.inc({ topic }, n),
    onRetry: () => metrics.stage.retries.inc({ reason: 'CT_DEPENDENCY_DOWN' }),
  });
  life.onStop('sink', () => sink.drain());
  const pipeline = createCollectorPipeline({
    directory, sink, metrics, logger, radius: radiusSettings,
    pendingMaxSets: cfg.CROSSTRACE_COLLECTOR_PENDING_MAX_SETS, pendingTimeoutMs: cfg.CROSSTRACE_COLLECTOR_PENDING_TIMEOUT_MS,
  });

  const host = cfg.CROSSTRACE_COLLECTOR_BIND;
  const rcvbufBytes = cfg.CROSSTRACE_COLLECTOR_RCVBUF_BYTES;
  const udp = new Map<string, UdpListener>();
  const ports: Record<string, number> = {};
  if (on('ipfix-udp')) udp.set('ipfix-udp', await startUdpListener({ host, port: cfg.CROSSTRACE_COLLECTOR_IPFIX_PORT, rcvbufBytes, onMessage: (b, r) => pipeline.flowPacket('ipfix', 'udp', b, r) }));
  if (on('netflow9-udp')) udp.set('netflow9-udp', await startUdpListener({ host, port: cfg.CROSSTRACE_COLLECTOR_NETFLOW9_PORT, rcvbufBytes, onMessage: (b, r) => pipeline.flowPacket('netflow9', 'udp', b, r) }));
  if (on('radius-udp')) {
    const l = await startUdpListener({ host, port: cfg.CROSSTRACE_COLLECTOR_RADIUS_PORT, rcvbufBytes, onMessage: (b, r) => pipeline.radiusPacket(b, r, (reply) => { if (l.open()) l.socket.send(reply, r.port, r.address); }) });
    udp.set('radius-udp', l);
  }
  for (const [name, l] of udp) { ports[name] = l.port(); life.onStop(name, () => l.close()); }
  if (on('ipfix-tcp')) {
    const tcp = await startIpfixTcpListener({ host, port: cfg.CROSSTRACE_COLLECTOR_IPFIX_PORT === 0 ? 0 : cfg.CROSSTRACE_COLLECTOR_IPFIX_PORT,
      onMessage: (b, r, id) => pipeline.flowPacket('ipfix', 'tcp', b, r, id), onClose: (id) => pipeline.tcpClosed(id, { address: id, port: 0 }) });
    ports['ipfix-tcp'] = tcp.port();
    life.onStop('ipfix-tcp', () => tcp.close());
  }
  const tick = setInterval(() => {
    pipeline.tick();
    for (const [name, l] of udp) {
      metrics.rcvbuf.set({ listener: name }, l.rcvbuf());
      const drops = l.kernelDrops();
      if (drops !== null) metrics.socketDrops.set({ listener: name }, drops);
    }
  }, 1000);
  tick.unref();
  life.onStop('tick', () => clearInterval(tick));
  const ops = await startOpsServer({
    port: cfg.CROSSTRACE_COLLECTOR_HTTP_PORT, host: cfg.CROSSTRACE_OPS_HOST, registry: metrics.stage.registry,
    health: () => ({ ok: !life.stopping && sink.healthy(), kafka: sink.healthy() ? 'producing' : 'failing, retrying', queued: sink.queued(), listeners: ports }),
  });
  life.onStop('ops-server', () => ops.close());
  logger.info({ port: ops.port(), listeners: ports, rcvbuf: Object.fromEntries([...udp].map(([n, l]) => [n, l.rcvbuf()])) }, 'collector started');
  return { stop: life.stop, port: ops.port, ports: () => ({ ...ports }), lifecycle: life, kernelDrops: () => Object.fromEntries([...udp].map(([n, l]) => [n, l.kernelDrops()])), rcvbuf: () => Object.fromEntries([...udp].map(([n, l]) => [n, l.rcvbuf()])) };
}

if (import.meta.url === `file://${process.argv[1]}`) runService('collector', () => startCollector());
