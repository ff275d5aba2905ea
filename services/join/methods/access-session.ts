// Hop method 3, access session (RADIUS accounting, RFC 2866: Acct-Status-Type Start / Interim-
// Update / Stop, Framed-IP-Address, Framed-IPv6-Prefix, Delegated-IPv6-Prefix, Acct-Session-Id,
// Acct-Delay-Time): address or prefix at t -> subscriber handle (terminal for this provider).
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import { canonicalAddress, familyOf, hexPrefix, ipv6ToHex, parsePrefix, prefixText } from '../../common/address.ts';
import type { HopMethodDescriptor, Target } from './descriptor.ts';
import { prov, sessionWake } from './shared.ts';

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

/** Two records agree on a prefix attribute unless both name one and they differ. */
const samePrefix = (a: string | null, b: string | null): boolean => a === null || b === null || canonicalPrefix(a) === canonicalPrefix(b);

/** What an access record claims: its framed address (as a host prefix) and its prefixes. */
export function accessClaims(ev: SessionEvent): string[] {
  const out: string[] = [];
  if (ev.framedIpAddress !== null) {
    try { out.push(`${canonicalAddress(ev.framedIpAddress)}/${familyOf(ev.framedIpAddress) === 4 ? 32 : 128}`); } catch { /* invalid: claims nothing */ }
  }
  for (const p of [canonicalPrefix(ev.framedIpv6Prefix), canonicalPrefix(ev.delegatedIpv6Prefix)]) if (p !== null) out.push(p);
  return out;
}

export const ACCESS_SESSION: HopMethodDescriptor = {
  method: 'ACCESS_SESSION',
  reads: 'ACCESS_SESSION',
  defaultMaxSessionAgeMs: 14 * 86_400_000, // PPPoE/IPoE sessions, DHCP leases, PDP contexts: days to weeks
  indexedUnder: 'framedIpAddress, and the /48 window(s) of framedIpv6Prefix / delegatedIpv6Prefix (acctSessionId required)',
  session: {
    kind: 'ACCESS_SESSION',
    method: 'ACCESS_SESSION',
    strength: (ev, t) => Math.max(
      ev.framedIpAddress === t.addr ? (familyOf(t.addr) === 4 ? 32 : 128) : -1,
      prefixStrength(ev.framedIpv6Prefix, t),
      prefixStrength(ev.delegatedIpv6Prefix, t),
    ),
    rules: {
      // RFC 2866: Acct-Session-Id is unique per NAS only (and many NASes count it from 1 again
      // after a reboot): the NAS (exporter) is part of the key.
      sessionKey: (ev) => `${prov(ev)}|${ev.acctSessionId === null ? `event:${ev.exporterId}/${ev.eventId}` : `nas:${ev.exporterId}|sid:${ev.acctSessionId}`}`,
      bucket: prov,
      // A session claims only what it names: one framed address and up to two prefixes. Another
      // session ends it only by claiming the SAME address or an IDENTICAL prefix; a /56 inside a
      // /48 is a different claim (both live, longest prefix wins at match time).
      conflicts: (a, b) => accessClaims(a).some((c) => accessClaims(b).includes(c)),
      // Acct-Session-Id is unique per NAS boot only (RFC 2866 5.5): a record of the same id that
      // names another subscriber, another Framed-IP-Address or another prefix is another session
      sameSession: (a, b) => (a.subscriberHandle === null || b.subscriberHandle === null || a.subscriberHandle === b.subscriberHandle)
        && (a.framedIpAddress === null || b.framedIpAddress === null || a.framedIpAddress === b.framedIpAddress)
        && samePrefix(a.framedIpv6Prefix, b.framedIpv6Prefix) && samePrefix(a.delegatedIpv6Prefix, b.delegatedIpv6Prefix),
    },
    leadsTo: () => ({ addr: null, port: null }),
  },
  wakes: sessionWake,
  onward: 'terminal',
};
