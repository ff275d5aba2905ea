// Hop method 1, NAT session log (RFC 8158 natEvent 4 create / 5 delete, NAT44; 1 / 2 historic): public ip:port at t
// -> inside ip:port at the same provider.
import type { HopMethodDescriptor } from './descriptor.ts';
import { prov, protoOk, opt, portWake, sameProto } from './shared.ts';

export const NAT_LOG: HopMethodDescriptor = {
  method: 'NAT_LOG',
  reads: 'NAT_SESSION',
  defaultMaxSessionAgeMs: 6 * 3_600_000, // RFC 5382: established TCP idle timeout >= 2 h 4 min
  indexedUnder: 'outsideAddr (required with outsidePort, insideAddr)',
  session: {
    kind: 'NAT_SESSION',
    method: 'NAT_LOG',
    strength: (ev, t) => ev.outsideAddr === t.addr && ev.outsidePort !== null && ev.insideAddr !== null
      && (t.port === null || ev.outsidePort === t.port) && protoOk(ev.protocol, t.protocol) ? 0 : -1,
    rules: {
      // without the protocol: a delete logged without it (syslog beside IPFIX) still ends its
      // create; a host's TCP and UDP mappings of one inside port are one holder's anyway
      sessionKey: (ev) => `${prov(ev)}|${ev.outsideAddr}|${ev.outsidePort}|${ev.insideAddr}|${opt(ev.insidePort)}`,
      bucket: (ev) => `${prov(ev)}|${ev.outsidePort}`,
      // the same outside address and port (and protocol) is one claim: another address, even in
      // the same IPv6 /48 window, is another claim
      conflicts: (a, b) => a.outsideAddr === b.outsideAddr && a.outsidePort === b.outsidePort && sameProto(a.protocol, b.protocol),
    },
    leadsTo: (ev) => ({ addr: ev.insideAddr, port: ev.insidePort }),
    holds: (ev) => (ev.outsidePort !== null ? [ev.outsidePort, ev.outsidePort] : null),
  },
  wakes: portWake,
  onward: 'same-connection',
};
