// VPN session log: exit ip[:port] at t -> the client's own public address[:port] (and account).
import type { HopMethodDescriptor } from './descriptor.ts';
import { opt, portWake, prov, protoOk, sameClient, sameProto } from './shared.ts';

export const VPN_SESSION: HopMethodDescriptor = {
  method: 'VPN_SESSION',
  reads: 'VPN_SESSION',
  defaultMaxSessionAgeMs: 7 * 86_400_000, // tunnels last hours to days
  indexedUnder: 'outsideAddr (required with insideAddr)',
  session: {
    kind: 'VPN_SESSION',
    method: 'VPN_SESSION',
    strength: (ev, t) => ev.outsideAddr === t.addr && ev.insideAddr !== null
      && (t.port === null || ev.outsidePort === null || ev.outsidePort === t.port) && protoOk(ev.protocol, t.protocol) ? 0 : -1,
    rules: {
      // a session id is a gateway's own (each counts from 1 after a restart): on one exit address
      // (not per exporter: an HA pair may log one session's START and STOP from two)
      sessionKey: (ev) => `${prov(ev)}|${ev.acctSessionId !== null ? `${ev.outsideAddr}|sid:${ev.acctSessionId}`
        : `${ev.outsideAddr}|${opt(ev.outsidePort)}|${ev.insideAddr}|${opt(ev.insidePort)}|${opt(ev.subscriberHandle)}`}`,
      bucket: (ev) => `${prov(ev)}|${opt(ev.outsidePort)}`,
      // a gateway's disconnect record often leaves out the exit port its connect record named
      // (OpenVPN's and strongSwan's disconnect hooks, RADIUS Stops that repeat account, session
      // id and client address only): it takes the port of its session id's one live session on
      // that exit whose client and account agree with it, so that it buckets and pairs with it
      // (two instances on one exit address, each counting ids from 0, keep theirs apart by port)
      fillIn: {
        family: (ev) => (ev.acctSessionId === null ? null : `${prov(ev)}|${ev.outsideAddr}|sid:${ev.acctSessionId}`),
        missing: (ev) => ev.outsidePort === null,
        value: (ev) => String(ev.outsidePort),
        agrees: sameClient,
        fill: (ev, from) => ({ ...ev, outsidePort: from.outsidePort }),
      },
      // a reused session id that names another account is another session
      sameSession: (a, b) => a.subscriberHandle === null || b.subscriberHandle === null || a.subscriberHandle === b.subscriberHandle,
      // a shared exit address (no port logged) is used by many clients at once
      conflicts: (a, b) => a.outsidePort !== null && a.outsideAddr === b.outsideAddr && a.outsidePort === b.outsidePort && sameProto(a.protocol, b.protocol),
    },
    leadsTo: (ev) => ({ addr: ev.insideAddr, port: ev.insidePort }),
    holds: (ev) => (ev.outsidePort !== null ? [ev.outsidePort, ev.outsidePort] : null),
  },
  wakes: portWake,
  onward: 'new-connection',
};
