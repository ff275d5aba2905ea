// Background traffic at a target rate of raw events per second: session logs (background-
// sessions.ts), long flows reported every active timeout (a pool sized so their records make
// up longFlowShare of the rate), and short flows filling the rest of each 100 ms slot's
// budget. Generated in event time by advance(); memory stays bounded by the pool. Pure.
import type { ErrorCode } from '../common/errors.ts';
import type { Rng } from './relay-traffic.ts';
import { flowSources, weightedPicker, type FlowSpec } from './background-endpoints.ts';
import { createSessionProcesses } from './background-sessions.ts';
import { flowOut, type RawOut } from './raw-events.ts';
import { createTimingWheel } from './scheduling.ts';
import { streamRng, type World } from './world.ts';

export const SLOT_MS = 100;

export interface Background {
  /** Records of sessions running at the start; call once, before advance(). */
  backfill(): RawOut[];
  /** Generates event time up to `to` (UTC ms), appending records to `out` (emitAt may be later). */
  advance(to: number, out: RawOut[]): void;
  /** The devices shut down at `now`: every running session stops, every running long flow ends (FORCED_END). */
  shutdown(now: number): RawOut[];
  /** Target background events per second. */
  readonly rate: number;
}

interface LongFlow { spec: FlowSpec; start: number; end: number; at: number; bytesPerMs: number; idle: boolean }

const BAD: readonly [ErrorCode, (x: RawOut & { topic: 'flows.raw' }) => void][] = [
  ['CT_UNKNOWN_EXPORTER', (x) => { x.value.exporterId = 'zz-unknown-exporter'; x.key = 'zz-unknown-exporter'; }],
  ['CT_INVALID_PORT', (x) => { x.value.srcPort = 70_000; }],
  ['CT_IMPOSSIBLE_TIME', (x) => { x.value.startTime = x.value.endTime + 5_000; }],
  ['CT_INVALID_ADDRESS', (x) => { x.value.dstAddr = '203.0.113.300'; }],
];

export function createBackground(w: World, rate = w.scenario.background.eventsPerSecond): Background {
  const bg = w.scenario.background;
  const r: Rng = streamRng(w.scenario.seed, 'background');
  const wheel = createTimingWheel(SLOT_MS, w.t0);
  let sink: RawOut[] = [];
  let slotCount = 0;
  const emit = (x: RawOut): void => { sink.push(x); slotCount++; };
  const sessions = createSessionProcesses(w, r, wheel, emit);
  const pick = weightedPicker(flowSources(w));
  const longTarget = rate * bg.longFlowShare; // records per second
  let longLoad = 0;
  const running = new Set<LongFlow>();
  let budget = 0;

  function record(spec: FlowSpec, from: number, to: number, octets: number, reason: 'ACTIVE_TIMEOUT' | 'END_OF_FLOW' | 'IDLE_TIMEOUT' | 'FORCED_END', closedAt: number): void {
    const packets = octets / r.uniform(300, 1_400);
    emit(flowOut(spec.ex, r, w.ids(spec.ex.id), spec.ends, from, to, octets, packets, reason, closedAt));
    if (spec.mirror) emit(flowOut(spec.mirror.ex, r, w.ids(spec.mirror.ex.id), spec.mirror.ends, from, to, octets, packets, reason, closedAt));
  }

  function spawnLong(now: number, midway: boolean): void {
    const spec = pick(r)?.next(r);
    if (!spec) return;
    const at = spec.ex.activeTimeoutMs;
    const dur = Math.min(3_600_000, Math.max(2 * at, r.lognormal(180_000, 1)));
    const start = midway ? now - r.uniform(0, dur * 0.9) : now;
    const f: LongFlow = { spec, start, end: start + dur, at, bytesPerMs: r.lognormal(20, 1.5), idle: r.chance(0.2) };
    longLoad += 1_000 / at;
    running.add(f);
    const first = Math.min(f.end, start + at * Math.max(1, Math.ceil((now - start) / at)));
    wheel.schedule(first, () => fire(f, first));
  }

  function fire(f: LongFlow, te: number): void {
    if (!running.has(f)) return; // shut down
    const from = Math.max(f.start, te - f.at);
    if (te >= f.end) {
      record(f.spec, from, f.end, f.bytesPerMs * (f.end - from) * r.lognormal(1, 0.5), f.idle ? 'IDLE_TIMEOUT' : 'END_OF_FLOW', f.idle ? f.end + f.spec.ex.idleTimeoutMs : f.end);
      longLoad -= 1_000 / f.at;
      running.delete(f);
      while (longLoad < longTarget) spawnLong(f.end, false);
      return;
    }
    if (r.chance(0.9)) record(f.spec, from, te, f.bytesPerMs * f.at * r.lognormal(1, 0.5), 'ACTIVE_TIMEOUT', te);
    const next = Math.min(f.end, te + f.at);
    wheel.schedule(next, () => fire(f, next));
  }

  function shortFlow(from: number, to: number): void {
    const spec = pick(r)?.next(r);
    if (!spec) { slotCount++; return; }
    const end = r.uniform(from, to);
    const dur = Math.min(spec.ex.activeTimeoutMs - 1, r.lognormal(1_500, 1.2));
    const idle = r.chance(0.2);
    const octets = Math.max(40, r.lognormal(4_000, 1.5));
    const before = sink.length;
    record(spec, end - dur, end, octets, idle ? 'IDLE_TIMEOUT' : 'END_OF_FLOW', idle ? end + spec.ex.idleTimeoutMs : end);
    if (bg.badEventProbability > 0 && r.chance(bg.badEventProbability)) {
      const x = sink[before] as RawOut & { topic: 'flows.raw' };
      const [code, spoil] = BAD[r.int(0, BAD.length - 1)]!;
      spoil(x);
      x.expectBad = code;
    }
  }

  let started = false;
  return {
    rate,
    backfill() {
      const out = sessions.backfill();
      while (longLoad < longTarget) spawnLong(w.t0, true);
      started = true;
      return out;
    },
    shutdown(now) {
      sink = sessions.shutdown(now);
      for (const f of running) {
        const from = Math.max(f.start, now - ((now - f.start) % f.at));
        if (now > from) record(f.spec, from, now, f.bytesPerMs * (now - from), 'FORCED_END', now);
      }
      running.clear();
      return sink;
    },
    advance(to, out) {
      if (!started) throw new Error('background: backfill() must run before advance()');
      sink = out;
      wheel.runUntil(to, (from, end) => {
        budget += (rate * (end - from)) / 1_000 - slotCount;
        slotCount = 0;
        while (budget >= 1) {
          shortFlow(from, end);
          budget -= slotCount;
          slotCount = 0;
        }
        if (budget < -rate) budget = -rate; // a burst of session records is not paid back for ever
      });
    },
  };
}
