// Test fixture (used by the *.test.ts beside it): the four-jurisdiction chain, built by hand.
// GB (the victim's side) observes an FR CGN address -> FR port block to an inside address ->
// FR subscriber whose host relays -> a DE VPN exit -> a US access subscriber.
import type { Hop, Provider, TraceRequest } from '../../../schemas/types.gen.ts';
import { createProviderDirectory } from '../../common/provider-directory.ts';
import { applyHops, applyRequest, type ChainState } from './chain.ts';
import type { ChainOptions } from './chain-status.ts';
import { DEFAULT_CHAIN_OPTIONS } from './chain-status.ts';

const provider = (providerId: string, jurisdiction: string, kind: Provider['kind'], prefixes: string[]): Provider => ({
  providerId, jurisdiction, name: providerId, kind, prefixes, exporters: [`${providerId}-x1`], deterministicNat: [], maxSessionAgeMs: {}, interimIntervalMs: {}, exporterKinds: {}, natMappingTimeoutMs: {}, delegatedPrefixLength: null, flowExportLagMs: {},
});

export const dir = createProviderDirectory([
  provider('gb-victimhost', 'GB', 'HOSTING', ['192.0.2.0/24']),
  provider('fr-telecom', 'FR', 'CGN', ['198.51.100.0/24', '100.64.0.0/10']),
  provider('de-vpn', 'DE', 'VPN', ['203.0.113.0/25']),
  provider('us-access', 'US', 'ACCESS', ['198.18.0.0/16']),
]);

export const T = 1_800_000_000_000;
export const ADDR = { cgn: '198.51.100.7', victim: '192.0.2.10', inside: '100.64.3.4', deExit: '203.0.113.7', usClient: '198.18.4.5' };

export const req = (o: Partial<TraceRequest> = {}): TraceRequest => ({
  traceId: 'tr-1', action: 'OPEN', requestingJurisdiction: 'GB', legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: 'GB-NCA-42',
  srcAddr: ADDR.cgn, srcPort: 40001, dstAddr: ADDR.victim, dstPort: 443, protocol: 6, observedTime: T, toleranceMs: 2000,
  requestedAt: T + 1000, expiresAt: T + 3_600_000, ...o,
});

export const hop = (hopId: string, parentHopId: string | null, depth: number, o: Partial<Hop>): Hop => ({
  traceId: 'tr-1', hopId, parentHopId, depth, jurisdiction: 'FR', providerId: 'fr-telecom', method: 'PORT_BLOCK',
  observedAddr: ADDR.cgn, observedPort: 40001, leadsToAddr: null, leadsToPort: null, subscriberHandle: null,
  evidenceEventIds: [`ev-${hopId}`], confidence: 1, rank: 1, firstSeen: T - 60_000, lastSeen: T + 10_000, active: true,
  windowFrom: T - 2000, windowTo: T + 2000, decisiveAt: T + 1500, source: 'LIVE', pathConfidence: null, onBestPath: null, ...o,
});

export const H = {
  pb: hop('h-fr-pb', null, 1, { leadsToAddr: ADDR.inside }),
  fr: hop('h-fr-sub', 'h-fr-pb', 2, { method: 'ACCESS_SESSION', observedAddr: ADDR.inside, observedPort: null, subscriberHandle: 'fr-sub-7' }),
  // the FR subscriber's host is asked both questions: its owner (h-fr-sub) and whom it relayed
  // for (h-fr-relay): sibling hops of the port block that led to it
  relay: hop('h-fr-relay', 'h-fr-pb', 2, {
    method: 'RELAY_TIMING', observedAddr: ADDR.inside, observedPort: 51000, leadsToAddr: ADDR.deExit, leadsToPort: 40100, confidence: 0.97,
  }),
  vpn: hop('h-de-vpn', 'h-fr-relay', 3, {
    method: 'VPN_SESSION', jurisdiction: 'DE', providerId: 'de-vpn', observedAddr: ADDR.deExit, observedPort: 40100,
    leadsToAddr: ADDR.usClient, leadsToPort: 61000, subscriberHandle: 'de-acct-9',
  }),
  us: hop('h-us-sub', 'h-de-vpn', 4, {
    method: 'ACCESS_SESSION', jurisdiction: 'US', providerId: 'us-access', observedAddr: ADDR.usClient, observedPort: 61000,
    subscriberHandle: 'us-sub-1', decisiveAt: T + 1900,
  }),
};
export const ALL: Hop[] = [H.pb, H.fr, H.relay, H.vpn, H.us];

export function open(now = T + 1000, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): ChainState {
  return applyRequest(undefined, req(), now, dir, o)!.state;
}

/** Applies hops one call each; returns the final state and what each call produced. */
export function runHops(order: readonly Hop[], now = T + 2000, o: ChainOptions = DEFAULT_CHAIN_OPTIONS, start = open(T + 1000, o)) {
  let state = start;
  const steps = order.map((h) => {
    const out = applyHops(state, [h], now, dir, o);
    state = out.state;
    return out;
  });
  return { state, steps, updates: steps.flatMap((s) => (s.update ? [s.update] : [])), registered: steps.flatMap((s) => s.register) };
}

/** Deterministic PRNG (mulberry32) for shuffles. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}
