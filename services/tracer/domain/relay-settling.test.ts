// Relay settling in event time (issue 10, the wrong subscriber under an ingest backlog): a relay
// lookup on a subscriber's host used to settle after 5 s of wall clock, and under chaos's ingest
// backlog 7 of 24 chains terminated at the FR owner of the relaying host. It settles only when
// the host's flow exporters' watermark passed the window's end + their export lag.
import { describe, expect, it } from 'vitest';
import type { Provider } from '../../../schemas/types.gen.ts';
import { noteFlowsIndexed, stallCheck } from './chain.ts';
import { DEFAULT_CHAIN_OPTIONS, relaySettled } from './chain-status.ts';
import { ADDR, H, T, dir, runHops } from './four-jurisdictions.fixture.ts';
import { exportLagOf, flowExportersOf, providerWatermark, relayDueAt, watermarkPassed } from './relay-settling.ts';

const { flowExportLagMs, clockToleranceMs, stallAfterMs } = DEFAULT_CHAIN_OPTIONS;
const DAY = 86_400_000;
const fr: Pick<Provider, 'exporters' | 'exporterKinds' | 'flowExportLagMs'> = {
  exporters: ['fr-cgn-1', 'fr-flow-1', 'fr-flow-2'], exporterKinds: { 'fr-cgn-1': 'nat', 'fr-flow-1': 'flow', 'fr-flow-2': 'flow' }, flowExportLagMs: { 'fr-flow-1': 2500 },
};
const l = { windowTo: T + 2000 };

describe('the settling rule (relay-settling.ts)', () => {
  it('counts the flow exporters only, each with its declared export lag or the default', () => {
    expect(flowExportersOf(fr)).toEqual(['fr-flow-1', 'fr-flow-2']);
    expect(flowExportersOf({ exporters: ['a', 'b'], exporterKinds: {} })).toEqual(['a', 'b']); // records before exporterKinds
    expect([exportLagOf(fr, 'fr-flow-1', flowExportLagMs), exportLagOf(fr, 'fr-flow-2', flowExportLagMs)]).toEqual([2500, 65_000]);
    expect(relayDueAt(l, fr, flowExportLagMs, clockToleranceMs)).toBe(T + 2000 + 65_000 + 2000);
    expect(relayDueAt(l, { ...fr, flowExportLagMs: { 'fr-flow-1': 2500, 'fr-flow-2': 10_500 } }, flowExportLagMs, clockToleranceMs)).toBe(T + 2000 + 10_500 + 2000);
  });

  it('watermark behind the window\'s end + lag: not settled; past it for every flow exporter: settled', () => {
    const due1 = T + 2000 + 2500 + 2000;
    const due2 = T + 2000 + 65_000 + 2000;
    const marks = (a: number, b: number) => new Map([['fr-flow-1', a], ['fr-flow-2', b], ['fr-cgn-1', 0]]);
    expect(watermarkPassed(l, fr, marks(due1 - 1, due2), flowExportLagMs, clockToleranceMs)).toBe(false);
    expect(watermarkPassed(l, fr, marks(due1, due2 - 1), flowExportLagMs, clockToleranceMs)).toBe(false);
    expect(watermarkPassed(l, fr, marks(due1, due2), flowExportLagMs, clockToleranceMs)).toBe(true);
    expect(providerWatermark(fr, marks(due1 + 7, due2))).toBe(due1 + 7);
  });

  it('a silent exporter (no watermark at all), no flow exporter or no provider: never settled', () => {
    expect(watermarkPassed(l, fr, new Map([['fr-flow-1', T + DAY]]), flowExportLagMs, clockToleranceMs)).toBe(false);
    expect(watermarkPassed(l, fr, new Map(), flowExportLagMs, clockToleranceMs)).toBe(false);
    expect(watermarkPassed(l, { exporters: ['fr-cgn-1'], exporterKinds: { 'fr-cgn-1': 'nat' }, flowExportLagMs: {} }, new Map([['fr-cgn-1', T + DAY]]), flowExportLagMs, clockToleranceMs)).toBe(false);
    expect(watermarkPassed(l, undefined, new Map(), flowExportLagMs, clockToleranceMs)).toBe(false);
    expect(providerWatermark(fr, new Map([['fr-flow-1', T]]))).toBeNull();
  });
});

describe('the chain at a subscriber\'s host (FR) with a relay lookup on it', () => {
  const chain = () => {
    const { state } = runHops([H.pb, H.fr]);
    const relay = state.lookups.find((x) => x.mode === 'relay' && x.addr === ADDR.inside)!;
    return { state, relay, due: state.relayDueAt![relay.lookupId]! };
  };

  it('watermark behind (nothing noted): not settled, never TERMINATED before its flows are overdue, however long the wall clock ran', () => {
    const { state, relay, due } = chain();
    expect(relaySettled(state, relay)).toBe(false);
    for (const at of [T + 2000 + 5000, T + 2000 + 30_000, due, due + stallAfterMs - 1]) expect(stallCheck(state, at, dir).state.status).toBe('EXTENDED');
  });

  it('watermark past windowTo + lag, then no relay in the window: settled, TERMINATED at the subscriber', () => {
    const { state, relay, due } = chain();
    const t = noteFlowsIndexed(state, relay, due + 1, T + 14_000, dir);
    expect(relaySettled(t.state, relay)).toBe(true);
    expect(t.state.status).toBe('TERMINATED_AT_SUBSCRIBER');
  });

  it('a silent exporter: AMBIGUOUS "owner, or a client it relayed for" once overdue, never TERMINATED, even days later', () => {
    const { state, due } = chain();
    const a = stallCheck(state, due + stallAfterMs, dir);
    expect(a.update?.status).toBe('AMBIGUOUS');
    expect(a.update!.change).toContain('the host\'s owner, or a client it relayed for');
    expect(a.update!.hops.map((h) => h.subscriberHandle)).toContain('fr-sub-7'); // the candidate is shown
    expect(stallCheck(a.state, T + 3 * DAY, dir).state.status).toBe('AMBIGUOUS');
  });

  it('a relay found from the lookup: the watermark note changes nothing (the relay leads on)', () => {
    const { state: s0, relay, due } = chain();
    const { state } = runHops([H.relay], T + 3000, DEFAULT_CHAIN_OPTIONS, s0);
    expect(noteFlowsIndexed(state, relay, due + 1, T + 14_000, dir).update).toBeNull();
  });
});
