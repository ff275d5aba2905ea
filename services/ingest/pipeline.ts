// The ingest stage: raw batch -> decode -> validate/normalise -> dedupe -> norm records, as one
// idempotent batch step (the stage wrapper, common/stage.ts, produces them and dead-letters what
// did not read). Redelivery of the same message is recognised (the dedupe record holds the
// source coordinates), so a retried batch re-produces instead of dropping; a true duplicate
// (same event id, other message) is dropped.
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import { permanent } from '../common/errors.ts';
import { createDedupe } from './dedupe.ts';
import type { OutMessage } from '../common/dead-letter.ts';
import type { ConsumedMessage } from '../common/kafka.ts';
import type { Logger } from '../common/logger.ts';
import type { RegistryClient } from '../common/registry.ts';
import { wrapStage } from '../common/stage.ts';
import { rawTopicOf, TOPICS } from '../common/topics.ts';
import type { FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import { normaliseFlow, normaliseSession, type NormaliseContext, type Normalised } from './domain/normalise.ts';
import type { IngestMetrics } from './metrics.ts';

export interface IngestPipelineDeps {
  registry: RegistryClient;
  redis: Redis;
  producer: Producer;
  ctx: NormaliseContext;
  metrics: IngestMetrics;
  logger: Logger;
  maxMessageBytes: number;
  dedupeWindowMs: number;
  /** One pipelined SET per event instead of one script per chunk (Redis Cluster). Default false. */
  dedupePerKey?: boolean;
  now?: () => number;
}

/** Event time a window orders by: a session's eventTime, a flow's startTime (UTC ms). */
const timeOf = (e: FlowEvent | SessionEvent): number => ('eventTime' in e ? e.eventTime : e.startTime);

/** eventId: `exporterId/eventId`, the record's identity downstream (ct-uid); dedupeKey: the same
 *  under the provider that spoke for it. */
interface Ok { src: ConsumedMessage; eventId: string; dedupeKey: string; norm: Normalised<FlowEvent | SessionEvent> }

export function createIngestPipeline(d: IngestPipelineDeps) {
  const now = d.now ?? Date.now;

  /**
   * Who may speak for whom: an exporter's own raw topic (flows.raw.<providerId>.<exporterId>) is
   * written by that exporter's principal only (the broker's literal ACLs), so a record there
   * naming another exporter is refused (CT_EXPORTER_NOT_OF_TOPIC), and so is one whose exporter
   * the registry gives to another provider than the topic's (CT_EXPORTER_NOT_OF_PROVIDER),
   * whatever its key or headers say. The shared raw topics are written by the node's own services
   * only. The dedupe identity holds the provider, so nobody pre-empts another provider's event ids.
   */
  function speaker(topic: string, exporterId: string): string {
    const provider = d.ctx.byExporter(exporterId)?.providerId;
    const own = rawTopicOf(topic);
    if (own?.exporterId != null && own.exporterId !== exporterId) {
      throw permanent('CT_EXPORTER_NOT_OF_TOPIC', `${topic} takes exporter ${JSON.stringify(own.exporterId)}'s records only, not exporter ${JSON.stringify(exporterId)}'s`, { field: 'exporterId' });
    }
    const bound = own?.providerId;
    if (bound && provider !== undefined && provider !== bound) {
      throw permanent('CT_EXPORTER_NOT_OF_PROVIDER', `exporter ${JSON.stringify(exporterId)} is ${provider}'s, not ${bound}'s: ${topic} takes ${bound}'s exporters only`, { field: 'exporterId' });
    }
    return bound ?? provider ?? '-';
  }

  function identity(topic: string, raw: { exporterId: string; eventId: string }): Pick<Ok, 'eventId' | 'dedupeKey'> {
    const eventId = `${raw.exporterId}/${raw.eventId}`;
    return { eventId, dedupeKey: `${speaker(topic, raw.exporterId)}/${eventId}` };
  }

  async function prepare(m: ConsumedMessage): Promise<Ok> {
    if (m.value && m.value.length > d.maxMessageBytes) {
      throw permanent('CT_OVERSIZED', `value is ${m.value.length} bytes, above the ${d.maxMessageBytes}-byte limit`);
    }
    const base = rawTopicOf(m.topic)?.base ?? m.topic;
    if (base === TOPICS.flowsRaw) {
      const raw = await d.registry.decode<FlowEvent>(base, m.value);
      return { src: m, ...identity(m.topic, raw), norm: normaliseFlow(raw, m.timestamp, d.ctx) };
    }
    const raw = await d.registry.decode<SessionEvent>(base, m.value);
    return { src: m, ...identity(m.topic, raw), norm: normaliseSession(raw, m.timestamp, d.ctx) };
  }

  const memory = createDedupe(d.redis, { windowMs: d.dedupeWindowMs, perKey: d.dedupePerKey });

  /** New, our own redelivery (same coordinates) or a true duplicate (dropped, counted). */
  async function dedupe(ok: Ok[]): Promise<Ok[]> {
    if (ok.length === 0) return ok;
    const coordinates = ok.map((o) => `${o.src.topic}/${o.src.partition}/${o.src.offset}`);
    const prev = await memory.remember(ok.map((o, i) => ({ eventId: o.dedupeKey, coordinates: coordinates[i]! })));
    return ok.filter((o, i) => {
      if (prev[i] === null || prev[i] === coordinates[i]) return true;
      d.metrics.duplicates.inc({ topic: o.src.topic });
      return false;
    });
  }

  const handle = wrapStage({
    stage: 'ingest', producer: d.producer, metrics: d.metrics.stage, logger: d.logger, now,
    onDeadLetter: (err) => { if (err.code === 'CT_CLOCK_FLAGGED') d.metrics.clockFlagged.inc({ exporter: String(err.message.split(' ')[1]) }); },
  }, async (msgs, batch) => {
    const ok: Ok[] = [];
    for (const m of msgs) {
      const o = await batch.read(m, () => prepare(m));
      if (o) ok.push(o);
    }
    const fresh = await dedupe(ok);
    const flows: OutMessage[] = [];
    const sessions: OutMessage[] = [];
    for (const o of fresh) {
      const isFlow = rawTopicOf(o.src.topic)?.base === TOPICS.flowsRaw;
      const topic = isFlow ? TOPICS.flowsNorm : TOPICS.sessionsNorm;
      const value = d.registry.encode(topic, o.norm.event);
      for (const k of o.norm.keys) {
        const headers: Record<string, string> = { 'ct-origin-ts': String(o.src.timestamp), 'ct-uid': o.eventId, 'ct-time': String(timeOf(o.norm.event)) };
        if (k.dir) headers['ct-dir'] = k.dir;
        (isFlow ? flows : sessions).push({ key: k.key, value, headers });
      }
    }
    return [{ topic: TOPICS.flowsNorm, messages: flows }, { topic: TOPICS.sessionsNorm, messages: sessions }];
  });
  return { handle };
}
