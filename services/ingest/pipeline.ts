// The ingest stage: raw batch -> decode -> validate/normalise -> dedupe -> norm records, as one
// idempotent batch step (the stage wrapper, common/stage.ts, produces them and dead-letters what
// did not read). Redelivery of the same message is recognised (the dedupe record holds the
// source coordinates), so a retried batch re-produces instead of dropping; a true duplicate
// (same event id, other message) is dropped.
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import { permanent } from '../common/errors.ts';
import { createDedupe } from './dedupe.ts';
import { createFlowMarker } from './flow-marker.ts';
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
  /** flows.norm's partition count as last read (main.ts): each exporter's batch of flow records
   *  is followed by a watermark record in every partition it did not reach
   *  (join/flow-watermark.ts). 0 or absent: none. */
  flowsNormPartitions?: () => number;
  /** How far behind the batch's latest export time a watermark record claims, ms (default
   *  60 s): the reordering of an exporter's raw records it tolerates. */
  flowMarkLagMs?: number;
  now?: () => number;
}

/** prepareNow's answer for a record whose writer schema is not fetched yet. */
const PENDING = Symbol('pending');

/** Event time a window orders by: a session's eventTime, a flow's startTime (UTC ms). */
const timeOf = (e: FlowEvent | SessionEvent): number => ('eventTime' in e ? e.eventTime : e.startTime);

/** eventId: `exporterId/eventId`, the record's identity downstream (ct-uid); dedupeKey: the same
 *  under the provider that spoke for it. */
interface Ok { src: ConsumedMessage; eventId: string; dedupeKey: string; norm: Normalised<FlowEvent | SessionEvent> }

/** The decimal text of a number, the last one kept: a batch's records mostly share their
 *  produce timestamp (and an exporter's export a start time), so most calls cost a compare. */
function decimalText() {
  let last = Number.NaN;
  let text = '';
  return (n: number): string => (n === last ? text : (text = String(last = n)));
}

/** Watermark records per exporter at most this often, ms (wall clock). */
const FLOW_MARK_EVERY_MS = 1000;

export function createIngestPipeline(d: IngestPipelineDeps) {
  const now = d.now ?? Date.now;
  const marker = createFlowMarker({ lagMs: d.flowMarkLagMs ?? 60_000, everyMs: FLOW_MARK_EVERY_MS });
  /** rawTopicOf per topic, once (a record's topic is asked three times). */
  const rawTopics = new Map<string, ReturnType<typeof rawTopicOf> | null>();
  const rawOf = (topic: string): ReturnType<typeof rawTopicOf> => {
    let r = rawTopics.get(topic);
    if (r === undefined) { r = rawTopicOf(topic) ?? null; rawTopics.set(topic, r); }
    return r ?? undefined;
  };
  const originText = decimalText();
  const timeText = decimalText();

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
    const own = rawOf(topic);
    if (own?.exporterId != null && own.exporterId !== exporterId) {
      throw permanent('CT_EXPORTER_NOT_OF_TOPIC', `${topic} takes exporter ${JSON.stringify(own.exporterId)}'s records only, not exporter ${JSON.stringify(exporterId)}'s`, { field: 'exporterId' });
    }
    const bound = own?.providerId;
    if (bound && provider !== undefined && provider !== bound) {
      throw permanent('CT_EXPORTER_NOT_OF_PROVIDER', `exporter ${JSON.stringify(exporterId)} is ${provider}'s, not ${bound}'s: ${topic} takes ${bound}'s exporters only`, { field: 'exporterId' });
    }
    return bound ?? provider ?? '-';
  }

  /** A read record checked and normalised; who may speak for it is decided first. */
  function accept<T extends FlowEvent | SessionEvent>(m: ConsumedMessage, raw: T, normalise: (raw: T, receivedAt: number, ctx: NormaliseContext) => Normalised<T>): Ok {
    const eventId = `${raw.exporterId}/${raw.eventId}`;
    const dedupeKey = `${speaker(m.topic, raw.exporterId)}/${eventId}`;
    return { src: m, eventId, dedupeKey, norm: normalise(raw, m.timestamp, d.ctx) };
  }

  function checkSize(m: ConsumedMessage): void {
    if (m.value && m.value.length > d.maxMessageBytes) {
      throw permanent('CT_OVERSIZED', `value is ${m.value.length} bytes, above the ${d.maxMessageBytes}-byte limit`);
    }
  }

  /** The record read at once, or PENDING when its schema id's writer is not fetched yet (the
   *  first record of each: prepare() waits for it). No promise per record. */
  function prepareNow(m: ConsumedMessage): Ok | typeof PENDING {
    checkSize(m);
    const base = rawOf(m.topic)?.base ?? m.topic;
    if (base === TOPICS.flowsRaw) {
      const raw = d.registry.decodeKnown<FlowEvent>(base, m.value);
      return raw === undefined ? PENDING : accept(m, raw, normaliseFlow);
    }
    const raw = d.registry.decodeKnown<SessionEvent>(base, m.value);
    return raw === undefined ? PENDING : accept(m, raw, normaliseSession);
  }

  async function prepare(m: ConsumedMessage): Promise<Ok> {
    checkSize(m);
    const base = rawOf(m.topic)?.base ?? m.topic;
    if (base === TOPICS.flowsRaw) return accept(m, await d.registry.decode<FlowEvent>(base, m.value), normaliseFlow);
    return accept(m, await d.registry.decode<SessionEvent>(base, m.value), normaliseSession);
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
      const got = batch.readNow(m, () => prepareNow(m));
      const o = got === PENDING ? await batch.read(m, () => prepare(m)) : got;
      if (o) ok.push(o);
    }
    const fresh = await dedupe(ok);
    const flows: OutMessage[] = [];
    const sessions: OutMessage[] = [];
    const parts = d.flowsNormPartitions?.() ?? 0;
    const marks = marker.batch(parts);
    for (const o of fresh) {
      const isFlow = rawOf(o.src.topic)?.base === TOPICS.flowsRaw;
      const topic = isFlow ? TOPICS.flowsNorm : TOPICS.sessionsNorm;
      const value = d.registry.encode(topic, o.norm.event);
      const origin = originText(o.src.timestamp);
      const time = timeText(timeOf(o.norm.event));
      if (isFlow && marks.active) { const f = o.norm.event as FlowEvent; marks.see(f.exporterId, f.exportTime, o.norm.keys); }
      for (const k of o.norm.keys) {
        const headers: Record<string, string> = { 'ct-origin-ts': origin, 'ct-uid': o.eventId, 'ct-time': time };
        if (k.dir) headers['ct-dir'] = k.dir;
        (isFlow ? flows : sessions).push({ key: k.key, value, headers });
      }
    }
    // after the records, in each partition's order: what the correlator indexed before a mark
    // holds every record of that exporter up to its time (a quiet exporter's few keys no longer
    // hold its watermark back in the partitions they do not reach); flow-marker.ts
    const sent = marks.marks(now());
    for (const m of sent) flows.push(m);
    d.metrics.flowMarks.inc(sent.length);
    return [{ topic: TOPICS.flowsNorm, messages: flows }, { topic: TOPICS.sessionsNorm, messages: sessions }];
  });
  return { handle };
}
