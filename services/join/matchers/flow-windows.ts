// Comparison windows for two flows' activity: one flow's record intervals, onto which the
// other flow's records are projected. Pure, no I/O.
import type { FlowSeries } from './flow-series.ts';

/**
 * Comparison windows of a flow: its record intervals (what its exporter measured), with its
 * silent stretches cut into record-length empty windows so that shared silence counts too.
 * A zero-length record, or one following a window shorter than minMs without a pause, is
 * folded into the window before it (sub-second active timeouts add noise, not information).
 */
export interface Windows {
  start: Float64Array;
  end: Float64Array;
  octets: Float64Array;
  packets: Float64Array;
  length: number;
}

export function recordWindows(s: FlowSeries, minMs: number): Windows {
  const T = Math.max(s.typicalIntervalMs, minMs);
  const start: number[] = [];
  const end: number[] = [];
  const octets: number[] = [];
  const packets: number[] = [];
  let prevEnd = s.start;
  for (const iv of s.intervals) {
    const gap = iv.start - prevEnd;
    if (gap > T / 2) {
      const k = Math.max(1, Math.round(gap / T));
      for (let j = 0; j < k; j++) {
        start.push(prevEnd + (gap * j) / k);
        end.push(prevEnd + (gap * (j + 1)) / k);
        octets.push(0);
        packets.push(0);
      }
    }
    const last = octets.length - 1;
    if (last >= 0 && (iv.end <= iv.start || (end[last]! - start[last]! < minMs && iv.start <= end[last]!))) {
      octets[last]! += iv.octets;
      packets[last]! += iv.packets;
      end[last] = Math.max(end[last]!, iv.end);
    } else {
      start.push(iv.start);
      end.push(Math.max(iv.end, iv.start + 1));
      octets.push(iv.octets);
      packets.push(iv.packets);
    }
    prevEnd = Math.max(prevEnd, iv.end);
  }
  const f = (xs: number[]): Float64Array => Float64Array.from(xs);
  return { start: f(start), end: f(end), octets: f(octets), packets: f(packets), length: start.length };
}

/**
 * Adds the traffic of `s`, its times shifted by shiftMs, that falls into each window: each
 * record is spread uniformly over its interval, a zero-length record lands where it lies.
 */
export function project(s: FlowSeries, shiftMs: number, w: Windows, octets: Float64Array, packets: Float64Array): void {
  let j = 0;
  for (const iv of s.intervals) {
    const a = iv.start + shiftMs;
    const b = iv.end + shiftMs;
    while (j < w.length && w.end[j]! <= a) j++;
    if (b <= a) {
      if (j < w.length && w.start[j]! <= a) {
        octets[j]! += iv.octets;
        packets[j]! += iv.packets;
      }
      continue;
    }
    for (let k = j; k < w.length && w.start[k]! < b; k++) {
      const f = (Math.min(b, w.end[k]!) - Math.max(a, w.start[k]!)) / (b - a);
      if (f <= 0) continue;
      octets[k]! += iv.octets * f;
      packets[k]! += iv.packets * f;
    }
  }
}
