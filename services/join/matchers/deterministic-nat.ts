// RFC 7422 deterministic NAT: the provider publishes a mapping rule instead of logs. With
// S = insideSize / outsideSize inside addresses per outside address (RFC 7422's compression
// ratio) and P = portsPerSubscriber, inside address number k (offset in insidePrefix) uses
// outside address outsidePrefix + floor(k / S), ports firstPort + (k mod S) * P .. + P - 1.
// The directory checks at upsert that S * P ports fit above firstPort (natRuleGeometry). Pure.
import type { DeterministicNatRule, Provider } from '../../../schemas/types.gen.ts';
import { canonicalAddress, familyOf, intToIpv4, ipv4ToInt, prefixContains } from '../../common/address.ts';
import { DEFAULT_JOIN_OPTIONS, type HopCandidate, type Lookup } from '../join-types.ts';
import { natRuleGeometry, type ProviderDirectory } from '../../common/provider-directory.ts';
import { hopId } from './hop-id.ts';
import { unionMass, windowCdf } from './time-kernel.ts';

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
 * Hops from the published rules for a session lookup on an outside address. Every rule whose
 * validity [validFrom, validTo] overlaps the lookup window widened by the clock tolerance
 * counts (a rule change near the observation: the re-numbered pool or new ports-per-subscriber
 * maps the same ip:port to another host), each weighted by the probability mass of the window
 * it covers (time-kernel.ts); an inside host named by several rules sums their weights. The
 * part of the window no rule covers is an unknown mapping's: confidence = weight / max(1, total
 * weight), like session candidates. So a window under one rule gives its host 1 (1/S each
 * without a port), a window across a change gives both hosts their share, undecided.
 * Evidence is `rule:<providerId>:<insidePrefix>` per rule; at most MAX_DETNAT_CANDIDATES hops,
 * most confident first (then lowest inside address).
 */
export function resolveDeterministicNat(l: Lookup, dir: ProviderDirectory, clockToleranceMs = DEFAULT_JOIN_OPTIONS.clockToleranceMs): HopCandidate[] {
  if (l.mode !== 'session' || l.scopeProviderId !== null) return [];
  let addr: string;
  try { addr = canonicalAddress(l.addr); } catch { return []; }
  if (familyOf(addr) !== 4) return [];
  const from = l.windowFrom - clockToleranceMs;
  const to = l.windowTo + clockToleranceMs;
  const cdf = windowCdf(l.windowFrom, l.windowTo, clockToleranceMs);
  interface Answer { provider: Provider; weight: number; evidence: Set<string>; firstSeen: number; lastSeen: number; active: boolean }
  const answers = new Map<string, Answer>();
  let total = 0;
  for (const provider of dir.list()) {
    for (const rule of provider.deterministicNat) {
      const lo = Math.max(from, rule.validFrom);
      // validTo is inclusive at ms resolution: the rule holds through that millisecond
      const hi = rule.validTo === null ? to : Math.min(to, rule.validTo + 1);
      if (hi < lo || !prefixContains(rule.outsidePrefix, addr)) continue;
      const mass = unionMass([[lo, hi]], cdf);
      if (mass <= 0) continue;
      total += mass;
      const inside = deterministicNatReverse(rule, addr, l.port);
      for (const host of inside) {
        const a = answers.get(host) ?? { provider, weight: 0, evidence: new Set<string>(), firstSeen: Infinity, lastSeen: -Infinity, active: false };
        a.weight += mass / inside.length;
        a.evidence.add(`rule:${provider.providerId}:${rule.insidePrefix}`);
        a.firstSeen = Math.min(a.firstSeen, Math.max(l.windowFrom, rule.validFrom));
        a.lastSeen = Math.max(a.lastSeen, rule.validTo === null ? l.windowTo : Math.min(l.windowTo, rule.validTo));
        // A rule has no sessions to end: the mapping stands while the rule is valid.
        a.active ||= rule.validTo === null || rule.validTo >= l.windowTo;
        answers.set(host, a);
      }
    }
  }
  const share = (w: number) => Math.round((1e6 * w) / Math.max(1, total)) / 1e6;
  const ranked = [...answers.entries()].sort(([x, a], [y, b]) => b.weight - a.weight || ipv4ToInt(x) - ipv4ToInt(y));
  return ranked.slice(0, MAX_DETNAT_CANDIDATES).map(([inside, a], i) => {
    const evidence = [...a.evidence].sort();
    return {
      traceId: l.traceId,
      hopId: hopId(l.traceId, l.parentHopId, 'DETERMINISTIC_NAT', [l.lookupId, ...evidence, `to:${inside}`]),
      parentHopId: l.parentHopId,
      depth: l.depth,
      jurisdiction: a.provider.jurisdiction,
      providerId: a.provider.providerId,
      method: 'DETERMINISTIC_NAT',
      observedAddr: addr,
      observedPort: l.port,
      leadsToAddr: inside,
      leadsToPort: null,
      subscriberHandle: null,
      evidenceEventIds: evidence,
      confidence: share(a.weight),
      rank: i + 1,
      // the window's part under the rule(s) naming this host (a window before every rule is empty)
      firstSeen: Math.min(a.firstSeen, a.lastSeen),
      lastSeen: a.lastSeen,
      active: a.active,
      windowFrom: l.windowFrom,
      windowTo: l.windowTo,
      // No event completes the match: the lookup itself does.
      decisiveAt: l.since,
    };
  });
}
