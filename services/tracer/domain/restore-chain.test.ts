// A chain rebuilt from its last published update after Redis lost it (restoreChain, the
// tracer's rebuild): the lookups its hops want come back as the chain opened them, relay
// lookups on its hosts included. Before, the rebuild opened session lookups only, and an
// AMBIGUOUS "owner or relay" chain was TERMINATED at the host's owner by the next tick.
import { describe, expect, it } from 'vitest';
import { restoreChain, stallCheck } from './chain.ts';
import { DEFAULT_CHAIN_OPTIONS } from './chain-status.ts';
import { ADDR, ALL, H, T, dir, open, runHops } from './four-jurisdictions.fixture.ts';

describe('a chain restored from its last update', () => {
  it('an AMBIGUOUS "owner or relay" chain keeps its relay lookup and its due time: never TERMINATED at the owner on no evidence', () => {
    const { state } = runHops([H.pb, H.fr]);
    const relay = state.lookups.find((l) => l.mode === 'relay' && l.addr === ADDR.inside)!;
    const overdue = state.relayDueAt![relay.lookupId]! + DEFAULT_CHAIN_OPTIONS.stallAfterMs;
    const ambiguous = stallCheck(state, overdue, dir).update!;
    expect(ambiguous.status).toBe('AMBIGUOUS');
    const back = restoreChain(state.request, ambiguous, overdue + 60_000, dir);
    expect(back.lookups.map((l) => l.lookupId).sort()).toEqual(state.lookups.map((l) => l.lookupId).sort());
    expect(back.relayDueAt).toEqual(state.relayDueAt);
    expect([back.seq, back.status]).toEqual([ambiguous.seq, 'AMBIGUOUS']);
    for (const at of [overdue + 61_000, overdue + 3_600_000]) expect(stallCheck(back, at, dir).state.status).toBe('AMBIGUOUS');
  });

  it('a chain whose relay was found stays TERMINATED at the far subscriber', () => {
    const { state, updates } = runHops(ALL);
    const last = updates.at(-1)!;
    expect(last.status).toBe('TERMINATED_AT_SUBSCRIBER');
    const back = restoreChain(state.request, last, T + 120_000, dir);
    expect(stallCheck(back, T + 121_000, dir).update).toBeNull();
  });

  it('a STALLED chain stays STALLED: its lookups wait since the time its update gave them, not since the rebuild', () => {
    const s = open();
    const stalled = stallCheck(s, T + 1000 + DEFAULT_CHAIN_OPTIONS.stallAfterMs, dir).update!;
    expect(stalled.status).toBe('STALLED');
    const back = restoreChain(s.request, stalled, T + 600_000, dir);
    expect(back.lookups.map((l) => l.since)).toEqual(s.lookups.map((l) => l.since));
    expect(stallCheck(back, T + 600_200, dir).update).toBeNull();
  });
});
