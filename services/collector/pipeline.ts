// Wires the pure collectors to the sink and the metrics: what each listener's packet becomes
// (events, dead letters, counts), and when a NAS gets its answer. No sockets here: listeners
// hand packets in, `reply` sends RADIUS answers back.
import { TOPICS, dlqTopic } from '../common/topics.ts';
import type { Logger } from '../common/logger.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import { resolveExporter, sourceAddress } from './domain/exporter-identity.ts';
import { createFlowCollector, type DeadLetterOut, type FlowProtocol } from './domain/flow-collector.ts';
import { createRadiusCollector } from './domain/radius-collector.ts';
import { subscriberPseudonym } from './domain/subscriber-pseudonym.ts';
import type { CollectorMetrics } from './metrics.ts';
import type { RecordSink, SinkRecord } from './record-sink.ts';

export interface RadiusSettings { secrets: Map<string, Buffer>; pseudonymKey: Buffer }

export interface CollectorPipelineDeps {
  directory: Pick<ProviderDirectory, 'byExporter'>;
  sink: RecordSink;
  metrics: CollectorMetrics;
  logger: Logger;
  radius: RadiusSettings | null;
  pendingMaxSets: number;
  pendingTimeoutMs: number;
  now?: () => number;
}

export interface Remote { address: string; port: number }

export function createCollectorPipeline(d: CollectorPipelineDeps) {
  const now = d.now ?? Date.now;
  const m = d.metrics;
  const flows = createFlowCollector({ resolve: (a, dom) => resolveExporter(d.directory.byExporter, a, dom), maxPending: d.pendingMaxSets, pendingTimeoutMs: d.pendingTimeoutMs });
  const radius = d.radius && createRadiusCollector({
    secretFor: (a) => d.radius!.secrets.get(a),
    resolve: (a) => resolveExporter(d.directory.byExporter, a, null),
    pseudonym: (providerId, account) => subscriberPseudonym(d.radius!.pseudonymKey, providerId, account),
  });

  const refusedLogged = new Map<string, number>();

  function deadLetter(listener: string, dl: DeadLetterOut, from: Remote, at: number): SinkRecord {
    return {
      topic: dlqTopic('collector'), key: dl.exporterId ?? from.address, value: dl.bytes,
      headers: {
        'ct-stage': 'collector', 'ct-reasonCode': dl.code, 'ct-reason': dl.reason.slice(0, 1000), 'ct-sourceTopic': listener,
        'ct-sourcePartition': '-1', 'ct-sourceOffset': '-1', 'ct-failedAt': String(at), 'ct-exporterAddress': `${from.address}:${from.port}`,
      },
    };
  }
  const drop = (exporter: string, protocol: string, reason: string) => m.drops.inc({ exporter, protocol, reason });
  function queueDead(listener: string, protocol: string, dl: DeadLetterOut, from: Remote, at: number, done?: () => void): boolean {
    drop(dl.exporterId ?? 'unknown', protocol, dl.code);
    if (d.sink.addRaw(deadLetter(listener, dl, from, at), done)) return true;
    drop(dl.exporterId ?? 'unknown', protocol, 'queue_full');
    return false;
  }

  return {
    /** One IPFIX message (UDP datagram or TCP-framed) or NetFlow v9 datagram. */
    flowPacket(protocol: FlowProtocol, transport: 'udp' | 'tcp', bytes: Buffer, remote: Remote, connId?: string): void {
      const at = now();
      const from = sourceAddress(remote.address);
      const out = flows.handle({ protocol, transport, from, session: connId, bytes, receivedAt: at });
      const exporter = out.known ? out.exporter : 'unknown';
      const listener = `${protocol}-${transport}`;
      m.packets.inc({ exporter, protocol });
      if (out.known) m.lastSeen.set({ exporter, protocol }, at / 1000);
      if (out.records) m.records.inc({ exporter, protocol }, out.records);
      if (out.templates) m.templates.inc({ exporter, protocol }, out.templates);
      if (out.ignored) m.ignored.inc({ exporter, protocol }, out.ignored);
      for (const e of out.events) if (!d.sink.addEvent(e.topic, e.key, e.value)) drop(exporter, protocol, 'queue_full');
      for (const dl of out.dead) queueDead(listener, protocol, dl, { address: from, port: remote.port }, at);
    },

    /** A TCP connection closed: its templates end with it. */
    tcpClosed(connId: string, remote: Remote): void {
      for (const dl of flows.closeSession('ipfix', connId)) queueDead('ipfix-tcp', 'ipfix', dl, remote, now());
    },

    /** One RADIUS datagram; `reply` sends bytes back to the NAS. */
    radiusPacket(bytes: Buffer, remote: Remote, reply: (b: Buffer) => void): void {
      if (!radius) return;
      const at = now();
      const from = sourceAddress(remote.address);
      const out = radius.handle({ from, port: remote.port, bytes, receivedAt: at });
      const known = out.kind !== 'dead' || out.code !== 'CT_UNKNOWN_EXPORTER';
      const exporter = known ? out.exporter : 'unknown';
      m.packets.inc({ exporter, protocol: 'radius' });
      if (known) m.lastSeen.set({ exporter, protocol: 'radius' }, at / 1000);
      switch (out.kind) {
        case 'refused': {
          drop(exporter, 'radius', out.code);
          // a NAS with the wrong secret retransmits: one log line per NAS per 10 s, the counter has the rest
          const lastLog = refusedLogged.get(from) ?? 0;
          if (at - lastLog >= 10_000 && (refusedLogged.size < 10_000 || refusedLogged.has(from))) {
            refusedLogged.set(from, at);
            d.logger.warn({ nas: from, reason: out.reason }, 'RADIUS request refused');
          }
          return;
        }
        case 'duplicate':
          drop(exporter, 'radius', 'duplicate');
          if (out.reply) reply(out.reply);
          return;
        case 'ignored':
          m.ignored.inc({ exporter, protocol: 'radius' });
          reply(out.reply);
          radius.acknowledged(out.dupKey, out.reply);
          return;
        case 'dead': {
          const r = out.reply;
          const key = out.dupKey;
          const ok = queueDead('radius-udp', 'radius', { code: out.code, reason: out.reason, bytes: out.bytes, exporterId: known ? out.exporter : null }, { address: from, port: remote.port }, at,
            r && key ? () => { reply(r); radius.acknowledged(key, r); } : undefined);
          if (!ok && key) radius.forget(key);
          return;
        }
        case 'closed': {
          // Accounting-On/Off: one STOP per open session of the NAS; answered once the last is stored
          m.records.inc({ exporter, protocol: 'radius' }, out.events.length);
          const last = out.events.length - 1;
          out.events.forEach((e, i) => {
            if (!d.sink.addEvent(TOPICS.sessionsRaw, out.key, e, i === last ? () => { reply(out.reply); radius.acknowledged(out.dupKey, out.reply); } : undefined)) {
              drop(exporter, 'radius', 'queue_full');
              if (i === last) radius.forget(out.dupKey);
            }
          });
          return;
        }
        case 'record':
          m.records.inc({ exporter, protocol: 'radius' }, 1 + out.closes.length);
          // a re-addressed session's STOP of its old address goes first (accounting-table.ts)
          for (const e of out.closes) if (!d.sink.addEvent(TOPICS.sessionsRaw, out.key, e)) drop(exporter, 'radius', 'queue_full');
          if (!d.sink.addEvent(TOPICS.sessionsRaw, out.key, out.event, () => { reply(out.reply); radius.acknowledged(out.dupKey, out.reply); })) {
            drop(exporter, 'radius', 'queue_full'); // not answered: the NAS sends it again
            radius.forget(out.dupKey);
          }
      }
    },

    /** Dead-letters data sets whose template did not come in time; refreshes gauges. */
    tick(): void {
      for (const dl of flows.expire(now())) queueDead('pending', 'flow', dl, { address: dl.exporterId ?? '', port: 0 }, now());
      m.pending.set(flows.pendingCount());
      m.queued.set(d.sink.queued());
    },
  };
}

export type CollectorPipeline = ReturnType<typeof createCollectorPipeline>;
