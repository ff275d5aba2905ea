// One inbound flow record (x1: 198.51.100.1:40000 -> 192.0.2.10:22) with times relative to
// T0, for the flow-series and flow-windows tests. Event ids count up per test module.
import type { FlowEndReason, FlowEvent } from '../../../schemas/types.gen.ts';
import type { IndexedEvent } from '../join-types.ts';

export const T0 = 1_760_000_000_000;
let seq = 0;

export function flowRecord(start: number, end: number, octets: number, endReason: FlowEndReason = 'ACTIVE_TIMEOUT', over: Partial<FlowEvent> = {}): IndexedEvent {
  return {
    kind: 'flow',
    dir: 'in',
    producedAt: T0 + end + 100,
    ev: {
      eventId: `e${seq++}`, exporterId: 'x1', exportTime: T0 + end, srcAddr: '198.51.100.1', srcPort: 40000,
      dstAddr: '192.0.2.10', dstPort: 22, protocol: 6, startTime: T0 + start, endTime: T0 + end, octets, packets: 1,
      postNatSrcAddr: null, postNatSrcPort: null, endReason, jurisdiction: 'NL', providerId: 'p1', clockOffsetMs: 0, ...over,
    },
  };
}
