import { describe, expect, it } from 'vitest';
import type { DeterministicNatRule, Provider } from '../../../schemas/types.gen.ts';
import type { Lookup } from '../join-types.ts';
import { createProviderDirectory } from '../../common/provider-directory.ts';
import { deterministicNatForward, deterministicNatReverse, MAX_DETNAT_CANDIDATES, resolveDeterministicNat } from './deterministic-nat.ts';

const T = 1_800_000_000_000;
const rule: DeterministicNatRule = { insidePrefix: '10.64.0.0/16', outsidePrefix: '203.0.113.128/26', portsPerSubscriber: 63, firstPort: 1024, validFrom: T - 5000, validTo: null };
const jp = (r: DeterministicNatRule = rule): Provider => ({
  providerId: 'jp-mobile', jurisdiction: 'JP', name: 'jp', kind: 'CGN', prefixes: ['203.0.113.128/25'], exporters: ['jp-cgn-1'], deterministicNat: [r], maxSessionAgeMs: {}, interimIntervalMs: {}, exporterKinds: {}, natMappingTimeoutMs: {}, delegatedPrefixLength: null, flowExportLagMs: {},
});
const dir = createProviderDirectory([jp()]);
const lookup = (o: Partial<Lookup> = {}): Lookup => ({
  lookupId: 'L', traceId: 'tr', parentHopId: 'p1', depth: 2, mode: 'session', addr: '203.0.113.130', scopeProviderId: null, port: 1024 + 63 * 5 + 7,
  protocol: 6, peerAddr: null, peerPort: null, windowFrom: T, windowTo: T + 1000, since: T + 500, ...o,
});

describe('RFC 7422 mapping', () => {
  it('maps inside offset k to outside address k / 1024 and ports 1024 + (k mod 1024) * 63', () => {
    expect(deterministicNatForward(rule, '10.64.0.0')).toEqual({ outsideAddr: '203.0.113.128', portLo: 1024, portHi: 1086 });
    expect(deterministicNatForward(rule, '10.64.0.1')).toEqual({ outsideAddr: '203.0.113.128', portLo: 1087, portHi: 1149 });
    expect(deterministicNatForward(rule, '10.64.4.0')).toEqual({ outsideAddr: '203.0.113.129', portLo: 1024, portHi: 1086 });
    expect(deterministicNatForward(rule, '10.64.255.255')).toEqual({ outsideAddr: '203.0.113.191', portLo: 65473, portHi: 65535 });
    expect(() => deterministicNatForward(rule, '10.65.0.0')).toThrow(/not in 10\.64\.0\.0\/16/);
  });
  it('round-trips every port of sampled inside hosts, and nothing else maps back', () => {
    for (let k = 0; k < 65536; k += 997) {
      const inside = `10.64.${k >> 8}.${k & 255}`;
      const f = deterministicNatForward(rule, inside);
      for (const port of [f.portLo, f.portLo + 31, f.portHi]) expect(deterministicNatReverse(rule, f.outsideAddr, port)).toEqual([inside]);
      expect(deterministicNatReverse(rule, f.outsideAddr, f.portHi + 1)).not.toEqual([inside]);
    }
    expect(deterministicNatReverse(rule, '203.0.113.128', 1023)).toEqual([]); // below firstPort
    expect(deterministicNatReverse(rule, '203.0.113.192', 2000)).toEqual([]); // outside the rule
    const all = deterministicNatReverse(rule, '203.0.113.129', null);
    expect([all.length, all[0], all[1023]]).toEqual([1024, '10.64.4.0', '10.64.7.255']);
  });
});

describe('resolveDeterministicNat', () => {
  it('resolves addr:port to one inside host with the rule as evidence', () => {
    const [h, ...rest] = resolveDeterministicNat(lookup(), dir);
    expect(rest).toEqual([]);
    expect(h).toMatchObject({
      method: 'DETERMINISTIC_NAT', jurisdiction: 'JP', providerId: 'jp-mobile', observedAddr: '203.0.113.130', observedPort: 1024 + 63 * 5 + 7,
      leadsToAddr: '10.64.8.5', leadsToPort: null, evidenceEventIds: ['rule:jp-mobile:10.64.0.0/16'], confidence: 1, rank: 1,
      firstSeen: T, lastSeen: T + 1000, active: true, decisiveAt: T + 500, depth: 2, parentHopId: 'p1',
    });
    expect(resolveDeterministicNat(lookup(), dir)[0]!.hopId).toBe(h!.hopId);
  });
  it('without a port reports the first 64 of the 1024 hosts sharing the address, confidence 1/1024, distinct ids', () => {
    const hops = resolveDeterministicNat(lookup({ port: null }), dir);
    expect(hops).toHaveLength(MAX_DETNAT_CANDIDATES);
    expect([hops[0]!.leadsToAddr, hops[63]!.leadsToAddr, hops[63]!.rank, hops[0]!.confidence]).toEqual(['10.64.8.0', '10.64.8.63', 64, 0.000977]);
    expect(new Set(hops.map((h) => h.hopId)).size).toBe(64);
  });
  it('finds nothing outside the rule: other addresses, IPv6, scoped lookups, ports below the range, or before the rule', () => {
    expect(resolveDeterministicNat(lookup({ addr: '203.0.113.200' }), dir)).toEqual([]);
    expect(resolveDeterministicNat(lookup({ addr: '2001:db8::1' }), dir)).toEqual([]);
    expect(resolveDeterministicNat(lookup({ addr: '10.64.0.1', scopeProviderId: 'jp-mobile' }), dir)).toEqual([]);
    expect(resolveDeterministicNat(lookup({ port: 80 }), dir)).toEqual([]);
    expect(resolveDeterministicNat(lookup({ windowFrom: T - 10_000, windowTo: T - 8000 }), dir)).toEqual([]); // even with the 2 s clock tolerance
    expect(resolveDeterministicNat(lookup({ mode: 'relay' }), dir)).toEqual([]);
  });
  it('a rule ending inside the window still counts, clipped and no longer active', () => {
    const d = createProviderDirectory([jp({ ...rule, validTo: T + 400 })]);
    const [h] = resolveDeterministicNat(lookup(), d);
    expect([h!.leadsToAddr, h!.lastSeen, h!.active]).toEqual(['10.64.8.5', T + 400, false]);
  });
});

// Review defect 2 (tracing.review.md): the published rule changed at C (a re-numbered pool, more
// ports per subscriber). The same outside ip:port maps to another host under each rule, so a
// lookup near the change must weigh both by the part of the window each covers.
describe('resolveDeterministicNat across a rule change', () => {
  const C = T + 3_600_000;
  const d = createProviderDirectory([{ ...jp(), deterministicNat: [
    { ...rule, validFrom: 0, validTo: C },
    { insidePrefix: '10.64.0.0/22', outsidePrefix: '203.0.113.128/26', portsPerSubscriber: 126, firstPort: 1024, validFrom: C + 1, validTo: null },
  ] }]);
  const at = (t: number, port: number) => resolveDeterministicNat(lookup({ windowFrom: t - 2000, windowTo: t + 2000, since: t, port, parentHopId: null, depth: 1 }), d, 2000);
  const pairs = (hops: ReturnType<typeof at>) => hops.map((h) => [h.leadsToAddr, h.confidence]);

  it('1.9 s after the change: both hosts shown, the new rule\'s first, neither decided', () => {
    // 203.0.113.130:1200 — old: 1024 hosts per address, block (1200-1024)/63 = 2 -> 10.64.8.2;
    // new: 16 hosts per address, block (1200-1024)/126 = 1 -> 10.64.0.33. The old rule holds
    // 101 ms of the window [C-100, C+3900] and its 2 s clock-tolerance tail below: 0.138.
    expect(pairs(at(C + 1900, 1200))).toEqual([['10.64.0.33', 0.862056], ['10.64.8.2', 0.137944]]);
  });
  it('a window wholly under one rule is that rule\'s host at 1, on either side of the change', () => {
    expect(pairs(at(C + 60_000, 1200))).toEqual([['10.64.0.33', 1]]);
    expect(pairs(at(C - 60_000, 1200))).toEqual([['10.64.8.2', 1]]);
  });
  it('a host both rules name is one candidate with both rules as evidence', () => {
    // 203.0.113.128:1030 is block 0 of the first outside address: 10.64.0.0 under both rules
    const hops = resolveDeterministicNat(lookup({ addr: '203.0.113.128', windowFrom: C - 100, windowTo: C + 100, port: 1030 }), d, 2000);
    expect(hops.map((h) => [h.leadsToAddr, h.confidence, h.evidenceEventIds])).toEqual([['10.64.0.0', 1, ['rule:jp-mobile:10.64.0.0/16', 'rule:jp-mobile:10.64.0.0/22']]]);
  });
});
