// How long a session of each kind stays valid without a STOP: per provider
// (deploy/providers.json `maxSessionAgeMs`, by SessionKind), else the hop method's default,
// never more than the deployment's ceiling (CROSSTRACE_*_MAX_SESSION_AGE_MS), which is also
// how far back windows are read and how long session records stay in them. Pure.
//
// Defaults follow how long such state lives at real providers: PPPoE/IPoE sessions, DHCP
// leases and mobile PDP contexts, and CGN port-block allocations (RFC 8158 natEvent 14/15)
// run for days to weeks; a VPN tunnel for hours to days; a NAT session (natEvent 1/2) for
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
