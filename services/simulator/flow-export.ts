// IPFIX-style export of one connection direction given its traffic bursts: one ACTIVE_TIMEOUT
// record per active-timeout interval that carried traffic (octet/packet deltas of that
// interval), a final END_OF_FLOW record (or IDLE_TIMEOUT, exported an idle timeout after the
// last packet), and a new flow after a gap longer than the idle timeout. Used for the traced
// connections, whose bursts are known in advance. Pure.
import type { FlowEndReason } from '../../schemas/types.gen.ts';
import { binSegment, idleSegments, type Burst, type Rng } from './relay-traffic.ts';
import { flowOut, type ExporterModel, type FlowEnds, type IdSource, type RawOut } from './raw-events.ts';

export interface ExportedFlow {
  records: RawOut[];
  /** eventIds of the records, in time order. */
  eventIds: string[];
}

export function exportBursts(ex: ExporterModel, r: Rng, ids: IdSource, stream: string, ends: FlowEnds, bursts: Burst[], endReason: FlowEndReason): ExportedFlow {
  const segs = idleSegments(bursts, ex.idleTimeoutMs);
  const records = segs.flatMap((seg, i) => exportSegment(ex, r, ids, stream, ends, seg, i === segs.length - 1 ? endReason : 'IDLE_TIMEOUT'));
  return { records, eventIds: records.map((x) => x.value.eventId) };
}

function exportSegment(ex: ExporterModel, r: Rng, ids: IdSource, stream: string, ends: FlowEnds, seg: Burst[], endReason: FlowEndReason): RawOut[] {
  const T = ex.activeTimeoutMs;
  const { start, end, k, oct, pk } = binSegment(seg, T);
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
