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
      sessionKey: (ev) => `${prov(ev)}|${ev.outsideAddr}|${ev.outsidePort}|${opt(ev.protocol)}|${ev.insideAddr}|${opt(ev.insidePort)}`,
      // a delete logged without the protocol (syslog beside IPFIX) takes the protocol of the one
      // live mapping of its outside and inside endpoints, so that it ends that mapping (and not
      // the same host's mapping of the other protocol, which TCP and UDP keep apart)
      // (a create or interim without its protocol is not filled: one live mapping of the other
      // protocol says nothing of which protocol a create is; it stays as it is)
      fillIn: {
        family: (ev) => (ev.protocol === null && ev.action !== 'STOP' ? null : `${prov(ev)}|${ev.outsideAddr}|${ev.outsidePort}|${ev.insideAddr}|${opt(ev.insidePort)}`),
        missing: (ev) => ev.protocol === null,
        value: (ev) => String(ev.protocol),
        agrees: () => true,
        fill: (ev, from) => ({ ...ev, protocol: from.protocol }),
      },
      bucket: (ev) => `${prov(ev)}|${ev.outsidePort}`,
      // the same outside address and port (and protocol) is one claim: another address, even in
      // the same IPv6 /48 window, is another claim
      conflicts: (a, b) => a.outsideAddr === b.outsideAddr && a.outsidePort === b.outsidePort && sameProto(a.protocol, b.protocol),
      // a delete that stays without its protocol reaches back no further than its endpoints' own
      // mappings of either protocol
      bounds: (a, b) => a.outsideAddr === b.outsideAddr && a.outsidePort === b.outsidePort && a.insideAddr === b.insideAddr
        && a.insidePort === b.insidePort && b.protocol === null,
    },
    leadsTo: (ev) => ({ addr: ev.insideAddr, port: ev.insidePort }),
    holds: (ev) => (ev.outsidePort !== null ? [ev.outsidePort, ev.outsidePort] : null),
  },
  wakes: portWake,
  onward: 'same-connection',
};
