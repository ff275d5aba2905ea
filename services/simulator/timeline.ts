// The whole run as one stream of raw records in emit order: the attack chains (generated up
// front, a few thousand records), the backfill of running sessions, and the background
// generated in event time as the run advances. due(now) returns what is due by `now`;
// shutdown(now) is what the devices flush when the run ends. Pure.
import type { Rng } from './relay-traffic.ts';
import { attackChain, type ChainResult } from './attack-chain.ts';
import { createBackground, type Background } from './background.ts';
import { flowOut, type RawOut } from './raw-events.ts';
import { createEmitQueue } from './scheduling.ts';
import { streamRng, type World } from './world.ts';

export interface Timeline {
  chains: ChainResult[];
  background: Background;
  /** Records due by `now` (true UTC ms): emitAt <= now, in emit order (10 ms buckets). */
  due(now: number): RawOut[];
  /**
   * The devices shut down at `now`: records already closed (in transit, late, withheld) are
   * flushed, every session still running stops, every flow still running ends with one
   * FORCED_END record up to `now`, and nothing after `now` happens. Without it a rerun on the
   * same stack would meet this run's sessions and flows, still open, in the 24 h windows.
   */
  shutdown(now: number): RawOut[];
  /** Records generated but not yet due. */
  pending(): number;
}

export function createTimeline(w: World, rate?: number): Timeline {
  const chains = w.scenario.attacks.map((_, i) => attackChain(w, i));
  const background = createBackground(w, rate);
  const queue = createEmitQueue();
  for (const c of chains) for (const x of c.events) queue.push(x);
  for (const x of background.backfill()) queue.push(x);
  const fresh: RawOut[] = [];
  const r: Rng = streamRng(w.scenario.seed, 'shutdown');
  return {
    chains,
    background,
    due(now) {
      fresh.length = 0;
      background.advance(now, fresh);
      for (const x of fresh) queue.push(x);
      return queue.drain(now);
    },
    shutdown(now) {
      const out = background.shutdown(now);
      const open = new Map<string, { first: RawOut & { topic: 'flows.raw' }; from: number; octets: number; packets: number }>();
      for (const x of queue.drainAll()) {
        const skew = w.exporters.get(x.value.exporterId)?.clockSkewMs ?? 0;
        if (x.topic === 'sessions.raw') {
          const v = x.value;
          if (v.eventTime - skew - (v.acctDelayTime ?? 0) * 1000 <= now) out.push({ ...x, emitAt: now });
          // A session that would have stopped later stops now; nothing else after `now` happens.
          else if (v.action === 'STOP') out.push({ ...x, emitAt: now, value: { ...v, eventTime: Math.round(now + skew), exportTime: Math.round(now + skew), acctDelayTime: v.acctDelayTime === null ? null : 0 } });
          continue;
        }
        const f = x.value;
        const [start, end] = [f.startTime - skew, f.endTime - skew];
        if (end <= now) { out.push({ ...x, emitAt: now }); continue; }
        if (start >= now) continue;
        const key = `${f.exporterId}|${f.srcAddr}|${f.srcPort}|${f.dstAddr}|${f.dstPort}|${f.protocol}`;
        const share = (now - start) / Math.max(1, end - start);
        const o = open.get(key) ?? { first: x, from: start, octets: 0, packets: 0 };
        o.from = Math.min(o.from, start);
        o.octets += f.octets * share;
        o.packets += f.packets * share;
        open.set(key, o);
      }
      for (const { first, from, octets, packets } of open.values()) {
        const ex = w.exporters.get(first.value.exporterId);
        if (ex) out.push(flowOut(ex, r, w.ids(ex.id), { ...first.value }, from, now, octets, packets, 'FORCED_END', now));
      }
      return out;
    },
    pending: () => queue.size,
  };
}
