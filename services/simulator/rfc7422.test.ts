import { describe, expect, it } from 'vitest';
import type { DeterministicNatRule } from '../../schemas/types.gen.ts';
import { deterministicNatForward } from '../join/matchers/deterministic-nat.ts';
import { seededRng } from './relay-traffic.ts';
import { natTarget } from './rfc7422.ts';

const dotted = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

describe("the simulator's RFC 7422 oracle", () => {
  it('agrees with the correlator on 20000 random rules and inside hosts', () => {
    const r = seededRng(7422);
    const disagree: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const insideLen = r.int(8, 30);
      const share = r.int(0, Math.min(10, 32 - insideLen));
      const pps = r.int(1, Math.floor((65_536 - 1024) / 2 ** share));
      const firstPort = r.int(0, 65_536 - 2 ** share * pps);
      const mask = (len: number, n: number): number => (len === 0 ? 0 : (n & ((~0 << (32 - len)) >>> 0)) >>> 0);
      const inside = mask(insideLen, r.int(0, 2 ** 32 - 1));
      const outsideLen = insideLen + share;
      const outside = mask(outsideLen, r.int(0, 2 ** 32 - 1));
      const rule: DeterministicNatRule = {
        insidePrefix: `${dotted(inside)}/${insideLen}`, outsidePrefix: `${dotted(outside)}/${outsideLen}`,
        portsPerSubscriber: pps, firstPort, validFrom: 0, validTo: null,
      };
      const host = dotted(inside + r.int(0, 2 ** (32 - insideLen) - 1));
      const a = natTarget(rule, host);
      const b = deterministicNatForward(rule, host);
      if (JSON.stringify(a) !== JSON.stringify(b)) disagree.push(`${JSON.stringify(rule)} ${host}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
    expect(disagree.slice(0, 5)).toEqual([]);
  });

  it('maps the RFC example geometry by hand and refuses hosts outside the rule', () => {
    const rule: DeterministicNatRule = { insidePrefix: '10.64.0.0/16', outsidePrefix: '203.0.113.128/26', portsPerSubscriber: 63, firstPort: 1024, validFrom: 0, validTo: null };
    expect(natTarget(rule, '10.64.0.1')).toEqual({ outsideAddr: '203.0.113.128', portLo: 1087, portHi: 1149 });
    expect(natTarget(rule, '10.64.255.255')).toEqual({ outsideAddr: '203.0.113.191', portLo: 65473, portHi: 65535 });
    expect(() => natTarget(rule, '10.65.0.0')).toThrow(/not in 10\.64\.0\.0\/16/);
  });
});
