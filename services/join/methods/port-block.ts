// Hop method 2, port-block allocation (RFC 8158 natEvent 16 allocation / 17 de-allocation, RFC 6888
// deterministic blocks): public ip + port in [lo, hi] at t -> inside ip.
import type { HopMethodDescriptor } from './descriptor.ts';
import { prov, sessionWake } from './shared.ts';

export const PORT_BLOCK: HopMethodDescriptor = {
  method: 'PORT_BLOCK',
  reads: 'PORT_BLOCK',
  defaultMaxSessionAgeMs: 14 * 86_400_000, // a subscriber keeps its block for days to weeks
  indexedUnder: 'outsideAddr (required with insideAddr, portRangeStart <= portRangeEnd)',
  session: {
    kind: 'PORT_BLOCK',
    method: 'PORT_BLOCK',
    strength: (ev, t) => ev.outsideAddr === t.addr && ev.portRangeStart !== null && ev.portRangeEnd !== null && ev.insideAddr !== null
      && (t.port === null || (ev.portRangeStart <= t.port && t.port <= ev.portRangeEnd)) ? 0 : -1,
    context: (ev, t) => ev.outsideAddr === t.addr && ev.portRangeStart !== null && ev.portRangeEnd !== null && ev.insideAddr !== null,
    rules: {
      sessionKey: (ev) => `${prov(ev)}|${ev.outsideAddr}|${ev.portRangeStart}-${ev.portRangeEnd}|${ev.insideAddr}`,
      bucket: prov,
      // overlapping blocks of one outside address cannot both be allocated: a later allocation
      // ends an open older one
      conflicts: (a, b) => a.outsideAddr === b.outsideAddr && a.portRangeStart! <= b.portRangeEnd! && b.portRangeStart! <= a.portRangeEnd!,
    },
    leadsTo: (ev) => ({ addr: ev.insideAddr, port: null }),
    holds: (ev) => (ev.portRangeStart !== null && ev.portRangeEnd !== null ? [ev.portRangeStart, ev.portRangeEnd] : null),
  },
  wakes: sessionWake,
  onward: 'same-connection',
};
