// RFC 7422 deterministic NAT: the provider publishes a mapping rule instead of logs. With
// S = insideSize / outsideSize inside addresses per outside address (RFC 7422's compression
// ratio) and P = portsPerSubscriber, inside address number k (offset in insidePrefix) uses
// outside address outsidePrefix + floor(k / S), ports firstPort + (k mod S) * P .. + P - 1.
// The directory checks at upsert that S * P ports fit above firstPort (natRuleGeometry). Pure.
import type { DeterministicNatRule } from '../../../schemas/types.gen.ts';
import { canonicalAddress, familyOf, intToIpv4, ipv4ToInt } from '../../common/address.ts';
import type { HopCandidate, Lookup } from '../join-types.ts';
import { natRuleGeometry, type ProviderDirectory } from '../../common/provider-directory.ts';
import { hopId } from './hop-id.ts';

/** Most inside candidates reported for a lookup without a port: one outside address is shared
 *  by S inside hosts (1024 in the demo rule). Confidence still says 1/S. */
export const MAX_DETNAT_CANDIDATES = 64;

/** The simulator's side: where an inside host appears outside. Throws when it is not in the rule. */
export function deterministicNatForward(rule: DeterministicNatRule, insideAddr: string): { outsideAddr: string; portLo: number; portHi: number } {
  const g = natRuleGeometry(rule);
  const n = ipv4ToInt(canonicalAddress(insideAddr));
  const k = n - g.insideBase;
  if (n < 0 || k < 0 || k >= 2 ** (32 - g.inside.length)) throw new RangeError(`${insideAddr} is not in ${rule.insidePrefix}`);
  const portLo = rule.firstPort + (k % g.perAddress) * rule.portsPerSubscriber;
  return { outsideAddr: intToIpv4(g.outsideBase + Math.floor(k / g.perAddress)), portLo, portHi: portLo + rule.portsPerSubscriber - 1 };
}

/** Inside addresses that outsideAddr(:port) maps back to, in inside-address order: one with a
 *  port (none if the port is outside the mapped range), all S of the address without one. */
export function deterministicNatReverse(rule: DeterministicNatRule, outsideAddr: string, port: number | null): string[] {
  const g = natRuleGeometry(rule);
  const n = ipv4ToInt(canonicalAddress(outsideAddr));
  const m = n - g.outsideBase;
  if (n < 0 || m < 0 || m >= 2 ** (32 - g.outside.length)) return [];
  if (port !== null) {
    const block = Math.floor((port - rule.firstPort) / rule.portsPerSubscriber);
    return port < rule.firstPort || block >= g.perAddress ? [] : [intToIpv4(g.insideBase + m * g.perAddress + block)];
  }
  return Array.from({ length: g.perAddress }, (_, j) => intToIpv4(g.insideBase + m * g.perAddress + j));
}

/**
 * Hops from the published rules for a session lookup on an outside address. A rule counts when
 * its validity overlaps the lookup window; evidence is `rule:<providerId>:<insidePrefix>`.
 * With a port: one hop, confidence 1. Without: the S inside hosts of that address, confidence
 * 1/S each, at most MAX_DETNAT_CANDIDATES of them (lowest inside address first).
 */
export function resolveDeterministicNat(l: Lookup, dir: ProviderDirectory): HopCandidate[] {
  if (l.mode !== 'session' || l.scopeProviderId !== null) return [];
  let addr: string;
  try { addr = canonicalAddress(l.addr); } catch { return []; }
  if (familyOf(addr) !== 4) return [];
  const hit = dir.deterministicRuleFor(addr, l.windowFrom) ?? dir.deterministicRuleFor(addr, l.windowTo);
  if (!hit) return [];
  const { provider, rule } = hit;
  const all = deterministicNatReverse(rule, addr, l.port);
  const evidence = `rule:${provider.providerId}:${rule.insidePrefix}`;
  const confidence = all.length === 0 ? 0 : Math.round(1e6 / all.length) / 1e6;
  const firstSeen = Math.max(l.windowFrom, rule.validFrom);
  const lastSeen = rule.validTo === null ? l.windowTo : Math.min(l.windowTo, rule.validTo);
  return all.slice(0, MAX_DETNAT_CANDIDATES).map((inside, i) => ({
    traceId: l.traceId,
    hopId: hopId(l.traceId, l.parentHopId, 'DETERMINISTIC_NAT', [l.lookupId, evidence, `to:${inside}`]),
    parentHopId: l.parentHopId,
    depth: l.depth,
    jurisdiction: provider.jurisdiction,
    providerId: provider.providerId,
    method: 'DETERMINISTIC_NAT',
    observedAddr: addr,
    observedPort: l.port,
    leadsToAddr: inside,
    leadsToPort: null,
    subscriberHandle: null,
    evidenceEventIds: [evidence],
    confidence,
    rank: i + 1,
    firstSeen,
    lastSeen,
    // A rule has no sessions to end: the mapping stands while the rule is valid.
    active: rule.validTo === null || rule.validTo >= l.windowTo,
    windowFrom: l.windowFrom,
    windowTo: l.windowTo,
    // No event completes the match: the lookup itself does.
    decisiveAt: l.since,
  }));
}
