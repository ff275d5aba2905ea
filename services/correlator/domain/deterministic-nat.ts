// RFC 7422 deterministic NAT: the provider publishes a mapping rule instead of logs. Inside
// address number k (offset in insidePrefix) uses outside address outsidePrefix +
// floor(k / S) and ports firstPort + (k mod S) * P .. + P - 1, where P = portsPerSubscriber
// and S = floor((65536 - firstPort) / P) subscribers share one outside address.
import type { DeterministicNatRule, Hop } from '../../../schemas/types.gen.ts';
import { intToIpv4, ipv4ToInt, parsePrefix } from '../../common/address.ts';
import type { Lookup } from '../../common/join-types.ts';
import type { ProviderDirectory } from '../../common/provider-directory.ts';
import { hopId } from './hop-id.ts';

/** Most inside candidates reported for a lookup without a port (one outside address is shared by S hosts). */
export const MAX_DETNAT_CANDIDATES = 64;

const perAddress = (r: DeterministicNatRule) => Math.floor((65536 - r.firstPort) / r.portsPerSubscriber);

export function deterministicNatForward(rule: DeterministicNatRule, insideAddr: string): { outsideAddr: string; portLo: number; portHi: number } {
  const inside = parsePrefix(rule.insidePrefix);
  const k = ipv4ToInt(insideAddr) - ipv4ToInt(inside.network);
  if (k < 0 || k >= 2 ** (32 - inside.length)) throw new Error(`${insideAddr} is not in ${rule.insidePrefix}`);
  const s = perAddress(rule);
  const outsideIdx = Math.floor(k / s);
  const outside = parsePrefix(rule.outsidePrefix);
  if (outsideIdx >= 2 ** (32 - outside.length)) throw new Error(`${rule.outsidePrefix} is too small for ${rule.insidePrefix}`);
  const portLo = rule.firstPort + (k % s) * rule.portsPerSubscriber;
  return { outsideAddr: intToIpv4(ipv4ToInt(outside.network) + outsideIdx), portLo, portHi: portLo + rule.portsPerSubscriber - 1 };
}

/** Inside addresses that `outsideAddr`(:port) maps back to under the rule. */
export function deterministicNatReverse(rule: DeterministicNatRule, outsideAddr: string, port: number | null): string[] {
  const outside = parsePrefix(rule.outsidePrefix);
  const inside = parsePrefix(rule.insidePrefix);
  const o = ipv4ToInt(outsideAddr) - ipv4ToInt(outside.network);
  const s = perAddress(rule);
  const blocks = port === null ? [...Array(s).keys()] : [Math.floor((port - rule.firstPort) / rule.portsPerSubscriber)];
  return blocks
    .filter((b) => b >= 0 && b < s)
    .map((b) => o * s + b)
    .filter((k) => k < 2 ** (32 - inside.length))
    .map((k) => intToIpv4(ipv4ToInt(inside.network) + k));
}

export function resolveDeterministicNat(l: Lookup, dir: ProviderDirectory): Hop[] {
  if (l.addr.includes(':')) return [];
  const hit = dir.deterministicRuleFor(l.addr, l.windowFrom);
  if (!hit) return [];
  const all = deterministicNatReverse(hit.rule, l.addr, l.port);
  const inside = all.slice(0, MAX_DETNAT_CANDIDATES);
  const evidence = `rule:${hit.provider.providerId}:${hit.rule.insidePrefix}`;
  return inside.map((addr, i) => ({
    traceId: l.traceId, hopId: hopId(l.traceId, l.parentHopId, 'DETERMINISTIC_NAT', [l.lookupId, evidence, addr]),
    parentHopId: l.parentHopId, depth: l.depth, jurisdiction: hit.provider.jurisdiction, providerId: hit.provider.providerId,
    method: 'DETERMINISTIC_NAT', observedAddr: l.addr, observedPort: l.port, leadsToAddr: addr, leadsToPort: null, subscriberHandle: null,
    evidenceEventIds: [evidence], confidence: 1 / all.length, rank: i + 1, firstSeen: l.windowFrom, lastSeen: l.windowTo, active: true,
    windowFrom: l.windowFrom, windowTo: l.windowTo, decisiveAt: l.since,
  }));
}
