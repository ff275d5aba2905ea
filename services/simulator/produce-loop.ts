// Produces the timeline in real time: every tick, the records due by now are encoded through
// the schema registry (Confluent framing) and sent with kafkajs sendBatch (acks = all, the
// client's default), at most maxInFlight batches outstanding. A failed batch is queued again
// (at least once; ingest dedupes by eventId). TraceRequests are produced at their requestedAt.
// The run ends at `until`, once everything due by then is collected (behind schedule, later);
// stop() ends it early; both send what the simulated devices flush at shutdown (FORCED_END for
// running flows) and wait for what is in flight.
import type { Message, Producer } from 'kafkajs';
import type { TraceRequest } from '../../schemas/types.gen.ts';
import type { Logger } from '../common/logger.ts';
import type { RegistryClient } from '../common/registry.ts';
import { TOPICS } from '../common/topics.ts';
import type { SimulatorMetrics } from './metrics.ts';
import type { RawOut } from './raw-events.ts';
import type { Timeline } from './timeline.ts';

export interface ProduceLoopOptions {
  producer: Producer;
  registry: RegistryClient;
  timeline: Timeline;
  /** TraceRequests to produce at their requestedAt; empty when the simulator does not open traces. */
  requests: TraceRequest[];
  /** End of the run, UTC ms. */
  until: number;
  tickMs: number;
  maxBatch: number;
  maxInFlight: number;
  metrics: SimulatorMetrics;
  logger: Logger;
  /** The clock the timeline runs on, UTC ms; default Date.now. A handover of past records
   *  (PAST_MS) runs on a clock standing at `until`: everything is due at once. */
  clock?: () => number;
  /** Longest wait for what is in flight at the end, ms. Default 10 000. */
  drainMs?: number;
  /** Wire mode: takes the records it can send as IPFIX / RADIUS (counted as wire:<topic>);
   *  the rest, and TraceRequests, are produced to Kafka. */
  wire?: { take(x: RawOut): boolean; flush(): void };
}

export interface ProduceStats { produced: Record<string, number>; lagMs: number; backlog: number; tracesOpened: number; failing: boolean }

type Item = RawOut | { topic: typeof TOPICS.traceRequests; key: string; value: TraceRequest; emitAt: number; expectBad?: undefined };

export function createProduceLoop(o: ProduceLoopOptions) {
  const clock = o.clock ?? Date.now;
  const drainMs = o.drainMs ?? 10_000;
  const chainIds = new Set(o.timeline.chains.flatMap((c) => c.events.map((x) => x.value.eventId)));
  const requests = [...o.requests].sort((a, b) => a.requestedAt - b.requestedAt);
  let backlog: Item[] = [];
  let head = 0;
  const inFlight = new Set<Promise<void>>();
  const produced: Record<string, number> = {};
  let tracesOpened = 0;
  let failing = false;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let finished: Promise<void> | undefined;
  let resolveDone: () => void = () => {};

  const sourceOf = (x: Item): string => (x.topic === TOPICS.traceRequests ? 'request' : x.expectBad ? 'bad' : chainIds.has(x.value.eventId) ? 'chain' : 'background');

  function count(x: Item, topic: string): void {
    produced[topic] = (produced[topic] ?? 0) + 1;
    o.metrics.produced.inc({ topic, source: sourceOf(x) });
    if (x.topic === TOPICS.traceRequests) tracesOpened++;
  }

  function send(all: Item[]): void {
    const wire = o.wire;
    // deliberately bad records stay Avro: what makes them bad may have no wire form
    const onWire = wire ? new Set(all.filter((x): x is RawOut => x.topic !== TOPICS.traceRequests && !x.expectBad && wire.take(x))) : null;
    if (onWire?.size) {
      wire!.flush();
      for (const x of onWire) count(x, `wire:${x.topic}`);
    }
    const batch = onWire?.size ? all.filter((x) => !onWire.has(x as RawOut)) : all;
    if (batch.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const x of batch) {
      const list = byTopic.get(x.topic) ?? [];
      list.push({ key: x.key, value: o.registry.encode(x.topic, x.value) });
      byTopic.set(x.topic, list);
    }
    const end = o.metrics.stage.processing.startTimer({ stage: 'produce' });
    const p = o.producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) }).then(() => {
      end();
      failing = false;
      for (const x of batch) count(x, x.topic);
      for (const [topic, messages] of byTopic) o.metrics.stage.messagesOut.inc({ topic }, messages.length);
    }, (e: unknown) => {
      end();
      failing = true;
      o.metrics.produceErrors.inc();
      o.logger.warn({ err: e, records: batch.length }, 'sendBatch failed after retries; queued again');
      backlog = [...batch, ...backlog.slice(head)];
      head = 0;
    }).finally(() => { inFlight.delete(p); });
    inFlight.add(p);
  }

  // Backpressure: while the producer is behind, the timeline is not advanced past what can be
  // held (highWater records due and unsent), and then by at most 1 s of event time per tick,
  // so falling behind costs schedule lag, never unbounded memory.
  const highWater = o.maxBatch * o.maxInFlight * 10;
  let collectedTo = -Infinity;

  /** Collects what is due (unless only draining) and starts sends up to maxInFlight. */
  function pump(now: number, collect = true): void {
    if (collect && backlog.length - head < highWater) {
      const to = Math.min(now, o.until, collectedTo === -Infinity ? now : collectedTo + 1_000);
      for (const x of o.timeline.due(to)) backlog.push(x);
      collectedTo = to;
    }
    while (collect && requests.length > 0 && requests[0]!.requestedAt <= now && requests[0]!.requestedAt <= o.until) {
      const r = requests.shift()!;
      backlog.push({ topic: TOPICS.traceRequests, key: r.traceId, value: r, emitAt: r.requestedAt });
    }
    while (head < backlog.length && inFlight.size < o.maxInFlight) {
      send(backlog.slice(head, head + o.maxBatch));
      head = Math.min(backlog.length, head + o.maxBatch);
    }
    if (head > 100_000 || head === backlog.length) { backlog = backlog.slice(head); head = 0; }
    const lag = lagAt(now);
    o.metrics.scheduleLag.set(lag / 1000);
    o.metrics.backlog.set(backlog.length - head);
  }

  /** How long the oldest due record has waited, or how far collection trails the clock, ms. */
  function lagAt(now: number): number {
    const oldest = head < backlog.length ? now - backlog[head]!.emitAt : 0;
    return Math.max(0, oldest, Math.min(now, o.until) - collectedTo - o.tickMs);
  }

  /** The simulated devices shut down: what they flush goes out with the rest. */
  function shutdown(now: number): void {
    for (const x of o.timeline.shutdown(now)) backlog.push(x);
  }

  async function flush(deadline: number): Promise<void> {
    while ((inFlight.size > 0 || head < backlog.length) && Date.now() < deadline) {
      pump(clock(), false);
      if (inFlight.size > 0) await Promise.race(inFlight);
    }
  }

  function tick(): void {
    const now = clock();
    if (stopping) return;
    // Behind schedule at the end (a loaded machine; a broker restart stops produce for a
    // while), the rest of the timeline up to `until` is produced first, 1 s of event time per
    // tick as ever: the ground truth's chains rest on those records. Cut at `until` instead,
    // make chaos at load lost its last ~114 s of records, and the devices' shutdown flush (export
    // time `until`) moved every flow watermark past relay lookups whose flows never came: a
    // chain TERMINATED at the relay host's owner, a wrong subscriber.
    if (now >= o.until && collectedTo < o.until) {
      pump(now);
      timer = setTimeout(tick, o.tickMs);
      return;
    }
    if (now >= o.until) {
      pump(o.until);
      shutdown(o.until);
      stopping = true;
      void flush(Date.now() + drainMs).then(() => resolveDone());
      return;
    }
    pump(now);
    timer = setTimeout(tick, o.tickMs);
  }

  return {
    /** Starts producing; the promise resolves when the run is over (until reached, or stop()). */
    run(): Promise<void> {
      finished ??= new Promise<void>((resolve) => { resolveDone = resolve; tick(); });
      return finished;
    },
    /** Ends the run early, flushing what is due and in flight (at most 10 s). Idempotent. */
    async stop(): Promise<void> {
      if (!stopping) {
        stopping = true;
        clearTimeout(timer);
        const now = Math.min(clock(), o.until);
        pump(now);
        shutdown(now);
        await flush(Date.now() + drainMs);
        resolveDone();
      }
      await finished;
    },
    stats(): ProduceStats {
      const lagMs = collectedTo === -Infinity ? 0 : lagAt(clock());
      return { produced: { ...produced }, lagMs, backlog: backlog.length - head, tracesOpened, failing };
    },
  };
}

export type ProduceLoop = ReturnType<typeof createProduceLoop>;
