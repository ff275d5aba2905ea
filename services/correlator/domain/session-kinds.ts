// What each session kind means for a lookup: which records concern the looked-up endpoint,
// how START / INTERIM / STOP pair up, which sessions exclude each other, and where a session
// leads. Used by session-match.ts; pure.
import type { HopMethod, SessionEvent, SessionKind } from '../../../schemas/types.gen.ts';
import { canonicalAddress, familyOf, hexPrefix, ipv6ToHex, parsePrefix, prefixText } from '../../common/address.ts';
import type { IntervalRules } from './session-intervals.ts';

/** The lookup side, canonicalised once. */
export interface Target {
  addr: string;
  port: number | null;
  protocol: number | null;
  /** 32 hex digits of an IPv6 addr, null for IPv4. */
  hex: string | null;
}

export interface KindSpec {
  kind: SessionKind;
  method: HopMethod;
  /** How specifically a record covers the target: -1 = not at all; otherwise a prefix length
   *  (longest match wins among access sessions; other kinds return 0). */
  strength(ev: SessionEvent, t: Target): number;
  /** Records that compete for the target's resource, beyond those covering it (default: none).
   *  A port block not holding the looked-up port can still end an older overlapping block. */
  context?(ev: SessionEvent, t: Target): boolean;
  rules: IntervalRules;
  /** Endpoint the session leads to (null addr: terminal at a subscriber). */
  leadsTo(ev: SessionEvent): { addr: string | null; port: number | null };
}

/** Provider part of a session key: sessions of two providers never pair or conflict. */
const prov = (ev: SessionEvent): string => ev.providerId ?? `exporter:${ev.exporterId}`;
const opt = (v: number | string | null): string => (v === null ? '*' : String(v));
/** Protocols agree when equal or when either side covers every protocol (null). */
const protoOk = (a: number | null, b: number | null): boolean => a === null || b === null || a === b;

const nat: KindSpec = {
  kind: 'NAT_SESSION',
  method: 'NAT_LOG',
  strength: (ev, t) => ev.outsideAddr === t.addr && ev.outsidePort !== null && ev.insideAddr !== null
    && (t.port === null || ev.outsidePort === t.port) && protoOk(ev.protocol, t.protocol) ? 0 : -1,
  rules: {
    sessionKey: (ev) => `${prov(ev)}|${ev.outsideAddr}|${ev.outsidePort}|${opt(ev.protocol)}|${ev.insideAddr}|${opt(ev.insidePort)}`,
    bucket: (ev) => `${prov(ev)}|${ev.outsidePort}`,
    conflicts: (a, b) => a.outsidePort === b.outsidePort && protoOk(a.protocol, b.protocol),
  },
  leadsTo: (ev) => ({ addr: ev.insideAddr, port: ev.insidePort }),
};

const portBlock: KindSpec = {
  kind: 'PORT_BLOCK',
  method: 'PORT_BLOCK',
  strength: (ev, t) => ev.outsideAddr === t.addr && ev.portRangeStart !== null && ev.portRangeEnd !== null && ev.insideAddr !== null
    && (t.port === null || (ev.portRangeStart <= t.port && t.port <= ev.portRangeEnd)) ? 0 : -1,
  context: (ev, t) => ev.outsideAddr === t.addr && ev.portRangeStart !== null && ev.portRangeEnd !== null && ev.insideAddr !== null,
  rules: {
    sessionKey: (ev) => `${prov(ev)}|${ev.outsideAddr}|${ev.portRangeStart}-${ev.portRangeEnd}|${ev.insideAddr}`,
    bucket: prov,
    // Overlapping blocks cannot both be allocated: a later allocation ends an open older one.
    conflicts: (a, b) => a.portRangeStart! <= b.portRangeEnd! && b.portRangeStart! <= a.portRangeEnd!,
  },
  leadsTo: (ev) => ({ addr: ev.insideAddr, port: null }),
};

/** Length of the prefix text covering the target, or -1. */
function prefixStrength(cidr: string | null, t: Target): number {
  if (cidr === null || t.hex === null) return -1;
  try {
    const p = parsePrefix(cidr);
    return p.family === 6 && hexPrefix(ipv6ToHex(p.network), p.length) === hexPrefix(t.hex, p.length) ? p.length : -1;
  } catch {
    return -1;
  }
}

/** Canonical text of a prefix, null when it does not parse (such a claim conflicts with nothing). */
function canonicalPrefix(cidr: string | null): string | null {
  if (cidr === null) return null;
  try { return prefixText(parsePrefix(cidr)); } catch { return null; }
}

/** What an access record claims: its framed address (as a host prefix) and its prefixes. */
export function accessClaims(ev: SessionEvent): string[] {
  const out: string[] = [];
  if (ev.framedIpAddress !== null) {
    try { out.push(`${canonicalAddress(ev.framedIpAddress)}/${familyOf(ev.framedIpAddress) === 4 ? 32 : 128}`); } catch { /* invalid: claims nothing */ }
  }
  for (const p of [canonicalPrefix(ev.framedIpv6Prefix), canonicalPrefix(ev.delegatedIpv6Prefix)]) if (p !== null) out.push(p);
  return out;
}

const access: KindSpec = {
  kind: 'ACCESS_SESSION',
  method: 'ACCESS_SESSION',
  strength: (ev, t) => Math.max(
    ev.framedIpAddress === t.addr ? (familyOf(t.addr) === 4 ? 32 : 128) : -1,
    prefixStrength(ev.framedIpv6Prefix, t),
    prefixStrength(ev.delegatedIpv6Prefix, t),
  ),
  rules: {
    sessionKey: (ev) => `${prov(ev)}|${ev.acctSessionId === null ? `event:${ev.eventId}` : `sid:${ev.acctSessionId}`}`,
    bucket: prov,
    // A session claims only what it names: one framed address and up to two prefixes. Another
    // session ends it only by claiming the SAME address or an IDENTICAL prefix; a /56 inside a
    // /48 is a different claim (both live, longest prefix wins at match time).
    conflicts: (a, b) => accessClaims(a).some((c) => accessClaims(b).includes(c)),
  },
  leadsTo: () => ({ addr: null, port: null }),
};

const vpn: KindSpec = {
  kind: 'VPN_SESSION',
  method: 'VPN_SESSION',
  strength: (ev, t) => ev.outsideAddr === t.addr && ev.insideAddr !== null
    && (t.port === null || ev.outsidePort === null || ev.outsidePort === t.port) && protoOk(ev.protocol, t.protocol) ? 0 : -1,
  rules: {
    sessionKey: (ev) => `${prov(ev)}|${ev.acctSessionId !== null ? `sid:${ev.acctSessionId}`
      : `${ev.outsideAddr}|${opt(ev.outsidePort)}|${opt(ev.protocol)}|${ev.insideAddr}|${opt(ev.insidePort)}|${opt(ev.subscriberHandle)}`}`,
    bucket: (ev) => `${prov(ev)}|${opt(ev.outsidePort)}`,
    // A shared exit address (no port logged) is used by many clients at once.
    conflicts: (a, b) => a.outsidePort !== null && a.outsidePort === b.outsidePort && protoOk(a.protocol, b.protocol),
  },
  leadsTo: (ev) => ({ addr: ev.insideAddr, port: ev.insidePort }),
};

export const KIND_SPECS: Readonly<Record<SessionKind, KindSpec>> = Object.freeze({
  NAT_SESSION: nat, PORT_BLOCK: portBlock, ACCESS_SESSION: access, VPN_SESSION: vpn,
});
