import { describe, expect, it } from 'vitest';
import type { DeterministicNatRule, Provider } from '../../../schemas/types.gen.ts';
import type { Lookup } from '../join-types.ts';
import { createProviderDirectory } from '../../common/provider-directory.ts';
import { deterministicNatForward, deterministicNatReverse, MAX_DETNAT_CANDIDATES, resolveDeterministicNat } from './deterministic-nat.ts';

const T = 1_800_000_000_000;
const rule: DeterministicNatRule = { insidePrefix: '10.64.0.0/16', outsidePrefix: '203.0.113.128/26', portsPerSubscriber: 63, firstPort: 1024, validFrom: T - 1000, validTo: null };
const jp = (r: DeterministicNatRule = rule): Provider => ({
  providerId: 'jp-mobile', jurisdiction: 'JP', name: 'jp', kind: 'CGN', prefixes: ['203.0.113.128/25'], exporters: ['jp-cgn-1'], deterministicNat: [r], maxSessionAgeMs: {}, interimIntervalMs: {}, exporterKinds: {}, natMappingTimeoutMs: {}, delegatedPrefixLength: null,
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
    expect(resolveDeterministicNat(lookup({ windowFrom: T - 5000, windowTo: T - 2000 }), dir)).toEqual([]);
    expect(resolveDeterministicNat(lookup({ mode: 'relay' }), dir)).toEqual([]);
  });
  it('a rule ending inside the window still counts, clipped and no longer active', () => {
    const d = createProviderDirectory([jp({ ...rule, validTo: T + 400 })]);
    const [h] = resolveDeterministicNat(lookup(), d);
    expect([h!.leadsToAddr, h!.lastSeen, h!.active]).toEqual(['10.64.8.5', T + 400, false]);
  });
});
