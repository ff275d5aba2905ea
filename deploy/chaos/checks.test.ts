// The chaos checks can fail: each defect they look for, planted in an otherwise clean run.
import { describe, expect, it } from 'vitest';
import type { Disclosure, Hop, TraceUpdate } from '../../schemas/types.gen.ts';
import type { GroundTruth, TruthHop } from '../../services/simulator/ground-truth.ts';
import { judge, sortUndecided, type Observed, type Rescored } from './checks.ts';
import type { Admin } from 'kafkajs';
import { deleteUpToEnd, stalledBetween, type GroupProgress } from './observe.ts';

const hop = (id: string, parent: string | null, method: Hop['method'], cc: string, leadsTo: string | null, handle: string | null = null, rank = 1): Hop => ({
  hopId: id, parentHopId: parent, method, jurisdiction: cc, leadsToAddr: leadsTo, subscriberHandle: handle, rank, confidence: 0.95,
  observedAddr: `obs-${id}`, observedPort: null, leadsToPort: null, active: true,
} as unknown as Hop);
const truthHop = (depth: number, method: TruthHop['method'], cc: string, leadsTo: string | null, handle: string | null = null): TruthHop =>
  ({ depth, method, jurisdiction: cc, leadsTo: leadsTo === null ? null : { addr: leadsTo, port: null }, subscriberHandle: handle } as TruthHop);

const truth = {
  traces: [{
    traceId: 't1',
    hops: [truthHop(1, 'PORT_BLOCK', 'FR', '10.0.0.1'), truthHop(2, 'ACCESS_SESSION', 'FR', null, 'sub-fr'), truthHop(3, 'RELAY_TIMING', 'FR', '203.0.113.1'),
      truthHop(4, 'VPN_SESSION', 'DE', '198.18.0.1'), truthHop(5, 'ACCESS_SESSION', 'US', null, 'sub-us')],
  }],
} as unknown as GroundTruth;
const hops = [hop('a', null, 'PORT_BLOCK', 'FR', '10.0.0.1'), hop('b', 'a', 'ACCESS_SESSION', 'FR', null, 'sub-fr'), hop('c', 'a', 'RELAY_TIMING', 'FR', '203.0.113.1'),
  hop('d', 'c', 'VPN_SESSION', 'DE', '198.18.0.1'), hop('e', 'd', 'ACCESS_SESSION', 'US', null, 'sub-us')];
const update = (seq: number, status: TraceUpdate['status'], hs: Hop[]): TraceUpdate => ({ traceId: 't1', seq, status, hops: hs } as unknown as TraceUpdate);
const disclosure = (auditSeq: number, updateSeq: number, prev: number, hash = auditSeq): Disclosure =>
  ({ auditSeq, traceId: 't1', updateSeq, audience: 'FR', prevHash: Buffer.from([prev]), hash: Buffer.from([hash]) } as unknown as Disclosure);

function clean(): Observed {
  const updates = [update(1, 'OPEN', []), update(2, 'EXTENDED', hops.slice(0, 3)), update(3, 'TERMINATED_AT_SUBSCRIBER', hops)];
  return { updates, views: new Map([['FR', [...updates]]]), audit: [disclosure(1, 1, 0), disclosure(2, 2, 1), disclosure(3, 3, 2)] };
}

describe('chaos checks', () => {
  it('a clean run passes: the owner hop beside the relay is a sibling, not a step of the path', () => {
    const v = judge(truth, clean());
    expect(v).toMatchObject({ opened: 1, correct: 1, lost: 0, duplicate: 0, forks: 0 });
  });
  it('a seq published again with the same content is a replay, not a duplicate', () => {
    const o = clean();
    o.updates.push(o.updates[2]!);
    expect(judge(truth, o)).toMatchObject({ duplicate: 0, replayed: 1 });
  });
  it('a wrong or unfinished chain is not correct', () => {
    const o = clean();
    o.updates[2] = update(3, 'TERMINATED_AT_SUBSCRIBER', [...hops.slice(0, 4), hop('e', 'd', 'ACCESS_SESSION', 'US', null, 'sub-other')]);
    expect(judge(truth, o).correct).toBe(0);
    expect(judge(truth, { ...clean(), updates: clean().updates.slice(0, 2) }).wrong.get('t1')).toMatch(/status EXTENDED/);
  });
  it('AMBIGUOUS is undecided, not wrong, only with the true chain rank 1 and a rival with evidence beside it', () => {
    const rival = { ...hop('r', 'd', 'RELAY_TIMING', 'US', '7.239.213.134'), confidence: 0.16 } as Hop;
    const o = clean();
    o.updates[2] = update(3, 'AMBIGUOUS', [...hops, rival]);
    const v = judge(truth, o);
    expect([v.correct, v.wrong.size, v.undecided.size]).toEqual([0, 0, 1]);
    expect(v.undecided.get('t1')).toMatch(/RELAY_TIMING:US->7\.239\.213\.134 .*confidence 0\.16/);
    // no rival: owner or relay only because the flows are overdue (a pipeline behind) is wrong
    o.updates[2] = update(3, 'AMBIGUOUS', hops);
    expect(judge(truth, o).wrong.get('t1')).toMatch(/status AMBIGUOUS/);
    // a rival too weak to leave the chain undecided, or a true hop missing, is wrong
    o.updates[2] = update(3, 'AMBIGUOUS', [...hops, { ...rival, confidence: 0.05 }]);
    expect(judge(truth, o).wrong.size).toBe(1);
    o.updates[2] = update(3, 'AMBIGUOUS', [...hops.slice(0, 4), rival]);
    expect(judge(truth, o).wrong.size).toBe(1);
  });
  it('an undecided chain passes only when the complete records show its rival too; otherwise the run made it', () => {
    const rival = { ...hop('r', 'a', 'RELAY_TIMING', 'FR', '198.18.9.9'), observedAddr: 'obs-c', leadsToPort: 20000, confidence: 0.14 } as Hop;
    const o = clean();
    o.updates[2] = update(3, 'AMBIGUOUS', [...hops, rival]);
    const v = judge(truth, o);
    expect(v.rivals.get('t1')!.map((h) => h.hopId)).toEqual(['r']);
    const scored = (confidence: number, leadsToPort = 20000, trueRelay: number | null = 0.86): Map<string, Rescored> =>
      new Map([['t1', [{ ...rival, hopId: 'other-id', rank: 2, leadsToPort, confidence }, ...(trueRelay === null ? [] : [{ ...hops[2]!, observedAddr: 'obs-c', confidence: trueRelay }])]]]);
    // the data: the same candidate (host, endpoint) on the complete records, at 0.12, or at 0.06
    // (the margin) beside a true relay the complete records leave undecided too (0.86)
    expect(sortUndecided(v, scored(0.12), truth)).toEqual({ byData: new Map([['t1', expect.stringMatching(/RELAY_TIMING:FR->198\.18\.9\.9 .*0\.120 on the complete records, the true relay there 0\.860/)]]), byRun: new Map() });
    expect(sortUndecided(v, scored(0.06), truth).byData.size).toBe(1);
    // a rival at 0.06 beside a true relay the complete records decide (0.97) is the run's: so is
    // one at 0.085 (below 0.1 by more than the near margin) with no true relay (the owner) beside it
    expect(sortUndecided(v, scored(0.06, 20000, 0.97), truth).byRun.get('t1')).toMatch(/0\.060 on the complete records, the true relay there 0\.970, which decide the lookup/);
    expect(sortUndecided(v, scored(0.09, 20000, 0.97), truth).byData.size).toBe(1);
    expect(sortUndecided(v, scored(0.07, 20000, null), truth).byRun.get('t1')).toMatch(/the true relay there none \(the owner\), which decide/);
    expect(sortUndecided(v, scored(0.085, 20000, null), truth).byData.size).toBe(1);
    // the run: far weaker there, another endpoint, not scored, or not a relay answer at all
    expect(sortUndecided(v, scored(0.01), truth).byRun.get('t1')).toMatch(/0\.010 on the complete records/);
    expect(sortUndecided(v, scored(0.3, 20001), truth).byRun.get('t1')).toMatch(/not a candidate on the complete records/);
    expect(sortUndecided(v, new Map(), truth).byRun.get('t1')).toMatch(/not scored/);
    const holder = { ...rival, method: 'ACCESS_SESSION', leadsToAddr: null, subscriberHandle: 'sub-x' } as Hop;
    o.updates[2] = update(3, 'AMBIGUOUS', [...hops, holder]);
    const w = judge(truth, o);
    expect(sortUndecided(w, scored(0.5), truth).byRun.get('t1')).toMatch(/not a relay answer/);
  });
  it('a gap in the seqs, and a disclosure missing from its audience topic, are lost updates', () => {
    const o = clean();
    o.updates.splice(1, 1);
    expect(judge(truth, o).lost).toBe(1);
    const p = clean();
    p.views.get('FR')!.splice(1, 1);
    expect(judge(truth, p).lost).toBe(1);
  });
  it('one seq with two contents, and one hop twice, are duplicates', () => {
    const o = clean();
    o.updates.push(update(3, 'TERMINATED_AT_SUBSCRIBER', hops.slice(0, 4)));
    expect(judge(truth, o).duplicate).toBeGreaterThanOrEqual(1);
    const p = clean();
    p.updates[2] = update(3, 'TERMINATED_AT_SUBSCRIBER', [...hops, { ...hops[4]!, hopId: 'e2' }]);
    expect(judge(truth, p).duplicate).toBe(1);
  });
  it('each audience has its own audit chain: two chains each from seq 1 are no fork', () => {
    const o = clean();
    o.audit.push(...[disclosure(1, 1, 0), disclosure(2, 2, 1)].map((d) => ({ ...d, audience: 'DE' })));
    o.auditFeeds = new Map([['FR', clean().audit]]);
    expect(judge(truth, o).forks).toBe(0);
    o.auditFeeds.get('FR')!.push(disclosure(2, 2, 1, 42));
    expect(judge(truth, o).forks).toBe(1);
  });
  it('an audit seq with two hashes, or a broken link, is a fork', () => {
    const o = clean();
    o.audit.push(disclosure(3, 3, 2, 99));
    expect(judge(truth, o).forks).toBe(1);
    const p = clean();
    p.audit[2] = disclosure(3, 3, 7);
    expect(judge(truth, p).forks).toBe(1);
  });

  describe('stalled partitions (stuck, not busy)', () => {
    const gp = (group: string, partition: number, committed: number, end: number): GroupProgress => ({ group, topic: 'flows.raw', partition, committed, end });
    it('a partition waiting for its turn while its group commits on others is not stalled', () => {
      // session 5: 12 partitions with a backlog, two handled at a time, 1 MiB fetched each
      const a = [gp('ingest', 0, 100, 20_000), gp('ingest', 1, 100, 20_000), gp('ingest', 2, 100, 20_000)];
      const b = [gp('ingest', 0, 100, 26_000), gp('ingest', 1, 3_100, 26_000), gp('ingest', 2, 100, 26_000)];
      expect(stalledBetween(a, b)).toEqual([]);
    });
    it('a group that committed nothing on any partition with records waiting is stalled (a hung handler stops its whole fetch)', () => {
      const a = [gp('ingest', 0, 100, 20_000), gp('ingest', 1, 20_000, 20_000), gp('correlator', 0, 10, 500)];
      const b = [gp('ingest', 0, 100, 26_000), gp('ingest', 1, 20_000, 20_000), gp('correlator', 0, 600, 600)];
      expect(stalledBetween(a, b)).toEqual([gp('ingest', 0, 100, 26_000)]);
    });
    it('a partition that got nothing new is not stalled by its lag alone (control records of its transactions)', () => {
      const a = [gp('tracer', 0, 99, 100)];
      expect(stalledBetween(a, [gp('tracer', 0, 99, 100)])).toEqual([]);
    });
  });

  it("earlier runs' records are deleted up to the end of each partition that has any", async () => {
    const deleted: unknown[] = [];
    const admin = {
      fetchTopicOffsets: async (t: string) => (t === 'flows.norm' ? [{ partition: 0, low: '10', high: '25', offset: '25' }, { partition: 1, low: '7', high: '7', offset: '7' }] : []),
      deleteTopicRecords: async (r: unknown) => { deleted.push(r); },
    } as unknown as Admin;
    expect(await deleteUpToEnd(admin, ['flows.norm', 'sessions.norm'])).toBe(15);
    expect(deleted).toEqual([{ topic: 'flows.norm', partitions: [{ partition: 0, offset: '25' }] }]);
  });
});
