// The record judge flags a decided wrong intermediate hop, not only a wrong subscriber: a chain
// that decides the wrong inside host behind a CGN sends the next step after the wrong host even
// if, by luck, the subscriber found there is the one the truth names.
import { describe, expect, it } from 'vitest';
import type { Hop } from '../../schemas/types.gen.ts';
import { judge } from './record-judge.ts';
import type { RecordScenario } from './record-scenario.ts';

const scenario: RecordScenario = {
  name: 'judge', class: 'lost-stops', description: '', observedAgoMs: 30_000,
  request: { jurisdiction: 'GB', src: '198.19.201.1', srcPort: 1100, dst: '192.0.2.10', dstPort: 443, protocol: 6, toleranceMs: 2000 },
  sessions: [], flows: [],
  truth: {
    path: [
      { method: 'PORT_BLOCK', observed: '198.19.201.1', leadsTo: '100.64.201.6' },
      { method: 'ACCESS_SESSION', observed: '100.64.201.6', leadsTo: null, subscriber: 'fr-sub-new' },
    ],
    status: 'TERMINATED_AT_SUBSCRIBER',
  },
};
const hop = (o: Partial<Hop>): Hop => ({
  traceId: 't', hopId: 'h1', parentHopId: null, depth: 1, jurisdiction: 'FR', providerId: 'fr-access', method: 'PORT_BLOCK', observedAddr: '198.19.201.1',
  observedPort: 1100, leadsToAddr: '100.64.201.6', leadsToPort: null, subscriberHandle: null, evidenceEventIds: ['e'], confidence: 1, rank: 1, firstSeen: 0,
  lastSeen: 0, active: true, windowFrom: 0, windowTo: 0, decisiveAt: 0, source: 'LIVE', pathConfidence: null, onBestPath: null, ...o,
});
const subscriber = (parent: string, at: string) => hop({ hopId: 's', parentHopId: parent, depth: 2, method: 'ACCESS_SESSION', observedAddr: at, observedPort: null, leadsToAddr: null, subscriberHandle: 'fr-sub-new' });

describe('record judge', () => {
  it('accepts the true path', () => {
    const v = judge(scenario, [hop({}), subscriber('h1', '100.64.201.6')], 'TERMINATED_AT_SUBSCRIBER');
    expect([v.problems, v.wrongDecidedHop, v.wrongDecidedSubscriber]).toEqual([[], null, null]);
  });
  it('flags a decided wrong intermediate hop even when the subscriber named behind it is the true one', () => {
    const v = judge(scenario, [hop({ leadsToAddr: '100.64.201.5' }), subscriber('h1', '100.64.201.5')], 'TERMINATED_AT_SUBSCRIBER');
    expect(v.wrongDecidedSubscriber).toBeNull();
    expect(v.wrongDecidedHop).toBe('PORT_BLOCK 198.19.201.1 -> 100.64.201.5');
    expect(v.problems).toContain('WRONG HOP PORT_BLOCK 198.19.201.1 -> 100.64.201.5 at confidence 1');
  });
  it('does not flag a wrong candidate that is shown undecided beside the true one', () => {
    const hops = [hop({ confidence: 0.6 }), hop({ hopId: 'h2', leadsToAddr: '100.64.201.5', confidence: 0.4, rank: 2 }), subscriber('h1', '100.64.201.6')];
    expect(judge(scenario, hops, 'AMBIGUOUS').wrongDecidedHop).toBeNull();
  });
});
