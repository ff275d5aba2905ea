// How long a session of each kind stays valid without a STOP: per provider
// (deploy/providers.json `maxSessionAgeMs`, by SessionKind), else the hop method's default,
// never more than the deployment's ceiling (CROSSTRACE_*_MAX_SESSION_AGE_MS), which is also
// how far back windows are read and how long session records stay in them. Pure.
//
// Defaults follow how long such state lives at real providers: PPPoE/IPoE sessions, DHCP
// leases and mobile PDP contexts, and CGN port-block allocations (RFC 8158 natEvent 16/17)
// run for days to weeks; a VPN tunnel for hours to days; a NAT session (natEvent 4/5) for
// minutes to a couple of hours (RFC 5382: TCP established idle timeout >= 2 h 4 min).
import type { Provider, SessionKind } from '../../../schemas/types.gen.ts';
import { BY_KIND } from './index.ts';

const DAY = 86_400_000;

/** Each session kind's default, from its method's descriptor (14 d access and port block, 7 d VPN, 6 h NAT). */
export const DEFAULT_MAX_SESSION_AGE_MS: Readonly<Record<SessionKind, number>> = Object.freeze({
  ACCESS_SESSION: BY_KIND.ACCESS_SESSION.defaultMaxSessionAgeMs,
  PORT_BLOCK: BY_KIND.PORT_BLOCK.defaultMaxSessionAgeMs,
  VPN_SESSION: BY_KIND.VPN_SESSION.defaultMaxSessionAgeMs,
  NAT_SESSION: BY_KIND.NAT_SESSION.defaultMaxSessionAgeMs,
});

/** Default ceiling: the longest default above. */
export const DEFAULT_SESSION_AGE_CEILING_MS = 14 * DAY;

/** Max age of a `kind` session at `provider` (undefined: unknown provider), ms, capped by `ceilingMs`. */
export function maxSessionAgeMs(provider: Pick<Provider, 'maxSessionAgeMs'> | undefined, kind: SessionKind, ceilingMs: number): number {
  const own = provider?.maxSessionAgeMs?.[kind];
  const age = typeof own === 'number' && own > 0 ? own : DEFAULT_MAX_SESSION_AGE_MS[kind];
  return Math.min(age, ceilingMs);
}

/** A session with no STOP and no own record for more than this many interim intervals before
 *  a lookup window may have ended with its STOP lost: shown, never decided (one or two lost
 *  Interim-Updates are common; three in a row rarely are). */
export const STALE_AFTER_INTERIMS = 3;

/** How often a `kind` session at `provider` sends interim records (deploy/providers.json
 *  interimIntervalMs, RADIUS Acct-Interim-Interval), ms; null: none to rely on. */
export function interimIntervalMs(provider: Pick<Provider, 'interimIntervalMs'> | undefined, kind: SessionKind): number | null {
  const own = provider?.interimIntervalMs?.[kind];
  return typeof own === 'number' && own > 0 ? own : null;
}

/** RFC minimum idle lifetimes of a NAT mapping, ms: RFC 5382 REQ-5 (TCP established: 2 h 4 min),
 *  RFC 4787 REQ-5 (UDP: 2 min), RFC 5508 REQ-2 (ICMP query: 60 s). Vendors' defaults are often
 *  longer (UDP 5 min is RECOMMENDED); deploy/providers.json natMappingTimeoutMs says a provider's. */
export const DEFAULT_NAT_MAPPING_TIMEOUT_MS: Readonly<Record<'TCP' | 'UDP' | 'ICMP', number>> = Object.freeze({ TCP: 7_440_000, UDP: 120_000, ICMP: 60_000 });

/** Idle lifetime of a NAT mapping of `protocol` (IANA number; null: any, the longest) at `provider`, ms. */
export function natMappingTimeoutMs(provider: Pick<Provider, 'natMappingTimeoutMs'> | undefined, protocol: number | null): number {
  const own = provider?.natMappingTimeoutMs ?? {};
  const of = (p: 'TCP' | 'UDP' | 'ICMP') => { const v = own[p]; return typeof v === 'number' && v > 0 ? v : DEFAULT_NAT_MAPPING_TIMEOUT_MS[p]; };
  switch (protocol) {
    case 6: return of('TCP');
    case 17: return of('UDP');
    case 1: case 58: return of('ICMP');
    default: return Math.max(of('TCP'), of('UDP'), of('ICMP'));
  }
}

/**
 * How long after its last own record a session with no STOP is still vouched for, ms; null:
 * nothing but the maximum age bounds it. A NAT mapping: its protocol's idle timeout (past it
 * the mapping may have expired and the port been handed to someone whose create is lost). A
 * session whose provider sends interim records: STALE_AFTER_INTERIMS intervals (a START-only
 * session counts too: a provider that declares interims sends them for every session).
 */
export function vouchedForMs(provider: Pick<Provider, 'interimIntervalMs' | 'natMappingTimeoutMs'> | undefined, kind: SessionKind, protocol: number | null): number | null {
  if (kind === 'NAT_SESSION') return natMappingTimeoutMs(provider, protocol);
  const every = interimIntervalMs(provider, kind);
  return every === null ? null : STALE_AFTER_INTERIMS * every;
}
