// Hop method 2, port-block allocation (RFC 8158 natEvent 16 allocation / 17 de-allocation, RFC 6888
// deterministic blocks): public ip + port in [lo, hi] at t -> inside ip. A block is for every
// protocol (protocol null), or for the one its record names.
import type { HopMethodDescriptor } from './descriptor.ts';
import { prov, protoOk, sessionWake } from './shared.ts';

export const PORT_BLOCK: HopMethodDescriptor = {
  method: 'PORT_BLOCK',
  reads: 'PORT_BLOCK',
  defaultMaxSessionAgeMs: 14 * 86_400_000, // a subscriber keeps its block for days to weeks
  indexedUnder: 'outsideAddr (required with insideAddr, portRangeStart <= portRangeEnd)',
  session: {
    kind: 'PORT_BLOCK',
    method: 'PORT_BLOCK',
    strength: (ev, t) => ev.outsideAddr === t.addr && ev.portRangeStart !== null && ev.portRangeEnd !== null && ev.insideAddr !== null
      && (t.port === null || (ev.portRangeStart <= t.port && t.port <= ev.portRangeEnd)) && protoOk(ev.protocol, t.protocol) ? 0 : -1,
    context: (ev, t) => ev.outsideAddr === t.addr && ev.portRangeStart !== null && ev.portRangeEnd !== null && ev.insideAddr !== null,
    rules: {
      // a block of one protocol (a CGN that allocates per protocol and says so) keys apart; a
      // block for every protocol (protocol null) keeps the key it always had
      sessionKey: (ev) => `${prov(ev)}|${ev.outsideAddr}|${ev.portRangeStart}-${ev.portRangeEnd}|${ev.insideAddr}${ev.protocol === null ? '' : `|p${ev.protocol}`}`,
      bucket: prov,
      // overlapping blocks of one outside address cannot both be allocated: a later allocation
      // ends an open older one; a block for one protocol leaves another protocol's alone
      conflicts: (a, b) => a.outsideAddr === b.outsideAddr && a.portRangeStart! <= b.portRangeEnd! && b.portRangeStart! <= a.portRangeEnd!
        && protoOk(a.protocol, b.protocol),
    },
    leadsTo: (ev) => ({ addr: ev.insideAddr, port: null }),
    holds: (ev) => (ev.portRangeStart !== null && ev.portRangeEnd !== null ? [ev.portRangeStart, ev.portRangeEnd] : null),
  },
  wakes: sessionWake,
  onward: 'same-connection',
};
