// Seeded synthetic flow records for tests and benchmarks: a PRNG, burst processes and an
// IPFIX-like exporter. Scenarios with ground truth are built in relay-fixtures.ts.
//
// Flows are burst processes (interactive, bulk, web, keep-alive) exported IPFIX-style: one
// ACTIVE_TIMEOUT record per active-timeout interval that carries traffic (octet/packet deltas
// for [startTime, endTime] of the interval), a final END_OF_FLOW / IDLE_TIMEOUT record, and a
// new flow after an idle gap longer than the idle timeout.
import type { FlowEndReason } from '../../schemas/types.gen.ts';
import type { IndexedEvent } from '../join/join-types.ts';

export interface Rng {
  next(): number;
  uniform(lo: number, hi: number): number;
  int(lo: number, hi: number): number;
  normal(): number;
  lognormal(median: number, sigma: number): number;
  chance(p: number): boolean;
}

/** sfc32 seeded through splitmix32: deterministic, fast, good enough for simulation. */
export function seededRng(seed: number): Rng {
  let s = seed >>> 0;
  const mix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  let spare = NaN; // Box-Muller yields normals in pairs
  const normal = (): number => {
    if (!Number.isNaN(spare)) {
      const z = spare;
      spare = NaN;
      return z;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor((hi - lo + 1) * next()),
    normal,
    lognormal: (median, sigma) => median * Math.exp(sigma * normal()),
    chance: (p) => next() < p,
  };
}

export interface Burst {
  t: number;
  dur: number;
  octets: number;
  packets: number;
}

export type TrafficKind = 'interactive' | 'bulk' | 'web' | 'keepalive';

/** Bursts of one direction of a connection over [t0, t1), UTC ms. */
export function trafficBursts(r: Rng, kind: TrafficKind, t0: number, t1: number): Burst[] {
  const out: Burst[] = [];
  let t = t0;
  while (t < t1) {
    if (kind === 'interactive') {
      const octets = Math.min(200_000, Math.max(40, r.lognormal(250, 1.4)));
      const packets = Math.max(1, Math.round(octets / r.uniform(60, 700)));
      out.push({ t, dur: Math.min(2_000, octets / r.lognormal(200, 1)), octets, packets });
      t += r.chance(0.015) ? r.uniform(2_000, 20_000) : r.lognormal(400, 1.3);
    } else if (kind === 'bulk') {
      const rate = r.lognormal(300, 1.2); // bytes per ms
      const phase = Math.min(t1 - t, r.lognormal(2_500, 1));
      for (let s = 0; s < phase; s += 1_000) {
        const dur = Math.min(1_000, phase - s);
        const octets = rate * dur * r.lognormal(1, 0.4);
        out.push({ t: t + s, dur, octets, packets: Math.max(1, Math.round(octets / 1_400)) });
      }
      t += phase + r.lognormal(1_500, 1.2);
    } else if (kind === 'web') {
      const octets = r.lognormal(40_000, 1.5);
      const dur = octets / r.lognormal(1_000, 0.7);
      out.push({ t, dur, octets, packets: Math.max(1, Math.round(octets / 1_300)) });
      t += dur + r.lognormal(5_000, 1.2);
    } else {
      const busy = r.chance(0.1);
      const octets = busy ? r.lognormal(3_000, 1) : r.uniform(60, 120);
      out.push({ t, dur: busy ? r.uniform(10, 300) : 0, octets, packets: busy ? Math.max(1, Math.round(octets / 500)) : 1 });
      t += r.chance(0.5) ? r.uniform(14_000, 16_000) : r.uniform(29_000, 31_000);
    }
  }
  return out;
}

export interface Exporter {
  id: string;
  activeTimeoutMs: number;
  idleTimeoutMs: number;
  /** Residual clock error added to every exported time, ms. */
  skewMs: number;
}

export interface Endpoints {
  dir: 'in' | 'out';
  srcAddr: string;
  srcPort: number | null;
  dstAddr: string;
  dstPort: number | null;
  protocol: number;
}

/** Shared state of one scenario's exporters: record sequence and the ingest horizon. */
export interface ExportContext {
  r: Rng;
  /** Records whose interval ends after this instant are not exported yet, UTC ms. */
  now: number;
  seq: number;
}

/** IPFIX-style records of one connection direction, as flow events indexed under R. */
/** Splits bursts into the segments an exporter reports as separate flows: a gap longer than
 *  the idle timeout ends one. */
export function idleSegments(bursts: Burst[], idleTimeoutMs: number): Burst[][] {
  const out: Burst[][] = [];
  let seg: Burst[] = [];
  let segEnd = -Infinity;
  for (const b of [...bursts].sort((a, c) => a.t - c.t)) {
    if (seg.length > 0 && b.t - segEnd > idleTimeoutMs) { out.push(seg); seg = []; }
    seg.push(b);
    segEnd = seg.length === 1 ? b.t + b.dur : Math.max(segEnd, b.t + b.dur);
  }
  if (seg.length > 0) out.push(seg);
  return out;
}

/** Spreads a segment's bursts over active-timeout intervals: octets and packets per interval
 *  (what interim records report), k + 1 intervals from start to end. */
export function binSegment(seg: Burst[], activeTimeoutMs: number): { start: number; end: number; k: number; oct: Float64Array; pk: Float64Array } {
  const T = activeTimeoutMs;
  const start = seg[0]!.t;
  let end = start;
  for (const b of seg) end = Math.max(end, b.t + b.dur);
  const k = Math.floor((end - start) / T);
  const oct = new Float64Array(k + 1);
  const pk = new Float64Array(k + 1);
  for (const b of seg) {
    const i0 = Math.floor((b.t - start) / T);
    if (b.dur <= 0) {
      oct[i0]! += b.octets;
      pk[i0]! += b.packets;
      continue;
    }
    const i1 = Math.min(k, Math.floor((b.t + b.dur - start) / T));
    for (let i = i0; i <= i1; i++) {
      const f = (Math.min(b.t + b.dur, start + (i + 1) * T) - Math.max(b.t, start + i * T)) / b.dur;
      oct[i]! += b.octets * Math.max(0, f);
      pk[i]! += b.packets * Math.max(0, f);
    }
  }
  return { start, end, k, oct, pk };
}

export function exportFlow(ctx: ExportContext, ex: Exporter, ends: Endpoints, bursts: Burst[], endReason: FlowEndReason): IndexedEvent[] {
  const segs = idleSegments(bursts, ex.idleTimeoutMs);
  return segs.flatMap((seg, i) => exportSegment(ctx, ex, ends, seg, i === segs.length - 1 ? endReason : 'IDLE_TIMEOUT'));
}

function exportSegment(ctx: ExportContext, ex: Exporter, ends: Endpoints, seg: Burst[], endReason: FlowEndReason): IndexedEvent[] {
  const T = ex.activeTimeoutMs;
  const { start, end, k, oct, pk } = binSegment(seg, T);
  const events: IndexedEvent[] = [];
  for (let i = 0; i <= k; i++) {
    const isFinal = i === k;
    const from = i === 0 ? start : start + i * T;
    const to = isFinal ? end : start + (i + 1) * T;
    const exportedAt = isFinal ? to + (endReason === 'IDLE_TIMEOUT' ? ex.idleTimeoutMs : 0) : to;
    if (exportedAt > ctx.now) break;
    if (!isFinal && oct[i]! <= 0) continue;
    const octets = Math.round(oct[i]!);
    const producedAt = Math.round(exportedAt + ctx.r.uniform(20, 800));
    events.push({
      kind: 'flow',
      dir: ends.dir,
      producedAt,
      ev: {
        eventId: `${ex.id}-${ctx.seq++}`,
        exporterId: ex.id,
        exportTime: Math.round(exportedAt + ex.skewMs),
        srcAddr: ends.srcAddr,
        srcPort: ends.srcPort,
        dstAddr: ends.dstAddr,
        dstPort: ends.dstPort,
        protocol: ends.protocol,
        startTime: Math.round(from + ex.skewMs),
        endTime: Math.round(to + ex.skewMs),
        octets,
        packets: octets > 0 ? Math.max(1, Math.round(pk[i]!)) : 0,
        postNatSrcAddr: null,
        postNatSrcPort: null,
        endReason: isFinal ? endReason : 'ACTIVE_TIMEOUT',
        jurisdiction: 'NL',
        providerId: 'nl-hosting-1',
        clockOffsetMs: 0,
      },
    });
  }
  return events;
}
