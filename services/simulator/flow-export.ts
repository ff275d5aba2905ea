// IPFIX-style export of one connection direction given its traffic bursts: one ACTIVE_TIMEOUT
// record per active-timeout interval that carried traffic (octet/packet deltas of that
// interval), a final END_OF_FLOW record (or IDLE_TIMEOUT, exported an idle timeout after the
// last packet), and a new flow after a gap longer than the idle timeout. Used for the traced
// connections, whose bursts are known in advance. Pure.
import type { FlowEndReason } from '../../schemas/types.gen.ts';
import type { Burst, Rng } from '../correlator/domain/relay-traffic.ts';
import { flowOut, type ExporterModel, type FlowEnds, type IdSource, type RawOut } from './raw-events.ts';

export interface ExportedFlow {
  records: RawOut[];
  /** eventIds of the records, in time order. */
  eventIds: string[];
}

export function exportBursts(ex: ExporterModel, r: Rng, ids: IdSource, stream: string, ends: FlowEnds, bursts: Burst[], endReason: FlowEndReason): ExportedFlow {
  const sorted = [...bursts].sort((a, b) => a.t - b.t);
  const records: RawOut[] = [];
  let seg: Burst[] = [];
  let segEnd = -Infinity;
  const flush = (last: boolean): void => {
    if (seg.length > 0) records.push(...exportSegment(ex, r, ids, stream, ends, seg, last ? endReason : 'IDLE_TIMEOUT'));
    seg = [];
  };
  for (const b of sorted) {
    if (seg.length > 0 && b.t - segEnd > ex.idleTimeoutMs) flush(false);
    seg.push(b);
    segEnd = seg.length === 1 ? b.t + b.dur : Math.max(segEnd, b.t + b.dur);
  }
  flush(true);
  return { records, eventIds: records.map((x) => x.value.eventId) };
}

function exportSegment(ex: ExporterModel, r: Rng, ids: IdSource, stream: string, ends: FlowEnds, seg: Burst[], endReason: FlowEndReason): RawOut[] {
  const T = ex.activeTimeoutMs;
  const start = seg[0]!.t;
  let end = start;
  for (const b of seg) end = Math.max(end, b.t + b.dur);
  const k = Math.floor((end - start) / T);
  const oct = new Float64Array(k + 1);
  const pk = new Float64Array(k + 1);
  for (const b of seg) {
    const i0 = Math.floor((b.t - start) / T);
    if (b.dur <= 0) { oct[i0]! += b.octets; pk[i0]! += b.packets; continue; }
    const i1 = Math.min(k, Math.floor((b.t + b.dur - start) / T));
    for (let i = i0; i <= i1; i++) {
      const f = (Math.min(b.t + b.dur, start + (i + 1) * T) - Math.max(b.t, start + i * T)) / b.dur;
      oct[i]! += b.octets * Math.max(0, f);
      pk[i]! += b.packets * Math.max(0, f);
    }
  }
  const out: RawOut[] = [];
  for (let i = 0; i <= k; i++) {
    const last = i === k;
    if (!last && oct[i]! <= 0) continue;
    const from = start + i * T;
    const to = last ? end : start + (i + 1) * T;
    const closedAt = last && endReason === 'IDLE_TIMEOUT' ? to + ex.idleTimeoutMs : to;
    out.push(flowOut(ex, r, ids(stream), ends, from, to, oct[i]!, pk[i]!, last ? endReason : 'ACTIVE_TIMEOUT', closedAt));
  }
  return out;
}
