import { describe, expect, it } from 'vitest';
import { parsePrefix, prefixContains } from '../common/address.ts';
import { deterministicNatForward } from '../join/matchers/deterministic-nat.ts';
import { buildWorld } from './world.ts';
import { T0, directory, scenario } from './test-fixtures.ts';

const world = (seed?: number) => buildWorld(scenario('default.json', seed === undefined ? {} : { seed }), directory, T0, 'w');

describe('world', () => {
  it('is reproducible from seed and start time, and changes with the seed', () => {
    const a = world();
    const b = world();
    const c = world(1);
    const fr = (w: ReturnType<typeof world>) => w.access.get('fr-telecom')!.subscribers.map((x) => [x.handle, x.framed, x.blocks]);
    expect(fr(a)).toEqual(fr(b));
    expect(fr(a)).not.toEqual(fr(c));
  });

  it('gives every FR subscriber a unique inside address and its own blocks, many sharing one CGN address', () => {
    const fr = world().access.get('fr-telecom')!;
    const subs = fr.subscribers;
    expect(subs).toHaveLength(300);
    expect(new Set(subs.map((s) => s.framed)).size).toBe(300);
    expect(subs.every((s) => prefixContains('100.64.0.0/12', s.framed))).toBe(true);
    const blocks = subs.flatMap((s) => s.blocks);
    expect(new Set(blocks.map((b) => `${b.outsideAddr}/${b.lo}`)).size).toBe(blocks.length);
    for (const b of blocks) {
      expect(prefixContains('198.19.0.0/16', b.outsideAddr)).toBe(true);
      expect((b.lo - 1024) % 512).toBe(0);
      expect(b.hi - b.lo).toBe(511);
    }
    const perAddr = new Map<string, number>();
    for (const b of blocks) perAddr.set(b.outsideAddr, (perAddr.get(b.outsideAddr) ?? 0) + 1);
    expect(Math.max(...perAddr.values())).toBeGreaterThan(20);
  });

  it('rotates the CGN public addresses by start minute, so back-to-back runs do not share blocks', () => {
    const addrs = (t0: number) => buildWorld(scenario(), directory, t0, 'w').access.get('fr-telecom')!.blocks!.addrs;
    expect(addrs(T0)).toEqual(addrs(T0 + 59_999 - (T0 % 60_000)));
    const next = new Set(addrs(T0 + 60_000));
    expect(addrs(T0).filter((a) => next.has(a))).toEqual([]);
  });

  it('maps JP subscribers by the published RFC 7422 rule', () => {
    const jp = world().access.get('jp-mobile')!;
    const rule = directory.byId('jp-mobile')!.deterministicNat[0]!;
    for (const s of jp.subscribers.slice(0, 50)) {
      const f = deterministicNatForward(rule, s.framed);
      expect(s.det).toEqual({ outsideAddr: f.outsideAddr, portLo: f.portLo, portHi: f.portHi });
      expect(s.blocks).toEqual([]);
    }
  });

  it('gives dual-stack US subscribers a framed /64 and a delegated /56 from the pool', () => {
    const us = world().access.get('us-access')!.subscribers.filter((s) => s.v6);
    expect(us.length).toBeGreaterThan(100);
    const pool = parsePrefix('2001:db8:100::/40');
    for (const s of us) {
      expect(s.v6!.framed.endsWith('/64') && s.v6!.delegated.endsWith('/56')).toBe(true);
      expect(prefixContains(pool, s.v6!.framed.split('/')[0]!) && prefixContains(pool, s.v6!.delegated.split('/')[0]!)).toBe(true);
    }
    expect(new Set(us.map((s) => s.v6!.delegated)).size).toBe(us.length);
    expect(new Set(us.map((s) => s.v6!.framed)).size).toBe(us.length);
  });

  it('pins the attack subjects with sessions established before the attack', () => {
    const w = world();
    const [subj] = w.subjects;
    const aS = T0 + w.scenario.attacks[0]!.startOffsetMs;
    expect(subj!.victim).toBe('192.0.2.10');
    expect(subj!.entry.pinned && subj!.origin!.pinned).toBe(true);
    expect(subj!.entry.blocksStart).toBeLessThan(aS);
    expect(subj!.entry.sessionStart).toBeLessThan(subj!.entry.blocksStart);
    expect(subj!.client!.sub).toBe(subj!.origin);
    expect(w.vpn.get('de-vpn')!.exits).toEqual(['203.0.113.8', '203.0.113.9', '203.0.113.10', '203.0.113.11']);
  });
});
