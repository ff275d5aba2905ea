import { describe, expect, it } from 'vitest';
import { applyHops, noteFlowsIndexed, stallCheck } from './chain.ts';
import { DEFAULT_CHAIN_OPTIONS, bestPath, deriveStatus } from './chain-status.ts';
import { ADDR, H, T, dir, hop, open, runHops } from './four-jurisdictions.fixture.ts';

const { stallAfterMs, relayGraceMs } = DEFAULT_CHAIN_OPTIONS;

describe('STALLED', () => {
  it('when a lookup waits longer than stallAfterMs, naming it; a hop from it resumes the chain', () => {
    const s = open(T + 1000);
    expect(stallCheck(s, T + 1000 + stallAfterMs - 1, dir).update).toBeNull();
    const st = stallCheck(s, T + 1000 + stallAfterMs, dir);
    expect(st.update).toMatchObject({ seq: 2, status: 'STALLED', decisiveAt: T + 1000 + stallAfterMs });
    expect(st.update!.awaiting).toEqual([expect.objectContaining({ jurisdiction: 'FR', providerId: 'fr-telecom', addr: ADDR.cgn, port: 40001, since: T + 1000 })]);
    expect(st.update!.change).toBe('stalled: awaiting FR/fr-telecom 198.51.100.7:40001 for 10 s');
    expect(stallCheck(st.state, T + 60_000, dir).update).toBeNull(); // no repeat while still stalled
    const resumed = applyHops(st.state, [H.pb], T + 60_000, dir);
    expect(resumed.update).toMatchObject({ seq: 3, status: 'EXTENDED' });
    expect(resumed.update!.change).toContain('now EXTENDED');
  });

  it('only for ends on the best path: a rank-2 candidate waiting forever does not stall the chain', () => {
    const a = hop('h-a', null, 1, { method: 'ACCESS_SESSION', observedAddr: ADDR.cgn, subscriberHandle: 'fr-a', rank: 1, confidence: 0.5 });
    const b = hop('h-b', null, 1, { leadsToAddr: '100.64.9.2', rank: 2, confidence: 0.5 });
    const o = { ...DEFAULT_CHAIN_OPTIONS, relayGraceMs: 0 };
    const { state } = runHops([a, b], T + 2000, o);
    // two holders at 0.5: undecided, so AMBIGUOUS (never terminated on a guess), and not stalled
    expect(state.status).toBe('AMBIGUOUS');
    expect(deriveStatus(state, T + 10 * stallAfterMs, o)).toBe('AMBIGUOUS');
    expect(stallCheck(state, T + 10 * stallAfterMs, dir, o).update).toBeNull();
  });

  it('never for a relay lookup (a subscriber that is not a relay sends nothing): its exporter overdue, AMBIGUOUS', () => {
    const { state } = runHops([H.pb, H.fr]);
    expect(stallCheck(state, T + 2000 + 10 * stallAfterMs, dir).update?.status).toBe('AMBIGUOUS');
  });
});

describe('TERMINATED_AT_SUBSCRIBER', () => {
  it('waits for the flow watermark on the subscriber host\'s relay lookup, whatever the wall clock says, its relay lookup awaited meanwhile', () => {
    const { state, updates } = runHops([H.pb, H.fr]);
    expect(state.status).toBe('EXTENDED');
    // the relay lookup on the subscriber's host is a sibling of its owner's session lookup
    const relay = state.lookups.find((l) => l.mode === 'relay' && l.addr === ADDR.inside)!;
    expect(updates.at(-1)!.awaiting).toEqual([expect.objectContaining({ addr: ADDR.inside, jurisdiction: 'FR', providerId: 'fr-telecom', parentHopId: 'h-fr-pb' })]);
    // the 5 s wall-clock grace that terminated it before: nothing changes now
    expect(stallCheck(state, T + 2000 + relayGraceMs, dir).update).toBeNull();
    const flowsDue = state.relayDueAt![relay.lookupId]!;
    expect(flowsDue).toBe(relay.windowTo + DEFAULT_CHAIN_OPTIONS.flowExportLagMs + DEFAULT_CHAIN_OPTIONS.clockToleranceMs);
    expect(stallCheck(state, flowsDue + stallAfterMs - 1, dir).update).toBeNull();
    // the flow watermark passed the window's end + export lag and a read after it found no relay
    const t = noteFlowsIndexed(state, relay, flowsDue + 1, T + 20_000, dir);
    expect(t.update).toMatchObject({ status: 'TERMINATED_AT_SUBSCRIBER', awaiting: [] });
    expect(t.update!.change).toMatch(/^flows of FR\/fr-telecom 100\.64\.3\.4 indexed up to .*: no relay; now TERMINATED_AT_SUBSCRIBER$/);
    expect(noteFlowsIndexed(t.state, relay, flowsDue + 9, T + 21_000, dir).update).toBeNull(); // only the first note counts
    const relayed = applyHops(t.state, [H.relay], T + 30_000, dir); // the waiter still listens: a late relay extends again
    expect(relayed.update).toMatchObject({ status: 'EXTENDED' });
    expect(relayed.register.map((l) => l.addr)).toEqual([ADDR.deExit]);
  });

  it('never on the wall clock alone: relayGraceMs 0 does not terminate before the watermark', () => {
    const o = { ...DEFAULT_CHAIN_OPTIONS, relayGraceMs: 0 };
    const { updates } = runHops([H.pb, H.fr, H.relay], T + 2000, o);
    expect(updates.map((u) => u.status)).toEqual(['EXTENDED', 'EXTENDED', 'EXTENDED']);
  });

  it('not at a hop with a subscriber handle that leads further (a VPN account)', () => {
    const { state } = runHops([H.pb, H.fr, H.relay, H.vpn]);
    expect(bestPath(state.hops).at(-1)!.hopId).toBe('h-de-vpn');
    expect(state.status).toBe('EXTENDED');
  });

  it('wins over ENDED', () => {
    const { state } = runHops([H.pb, H.fr, H.relay, H.vpn, H.us].map((h) => ({ ...h, active: false })));
    expect(state.status).toBe('TERMINATED_AT_SUBSCRIBER');
  });
});

describe('ENDED and the best path', () => {
  it('ENDED when every hop on the best path is inactive, EXTENDED while one is active', () => {
    const o = { ...DEFAULT_CHAIN_OPTIONS, stallAfterMs: 600_000 };
    const { state } = runHops([{ ...H.pb, active: false }, H.fr, { ...H.relay, active: false }, H.vpn], T + 2000, o);
    expect(state.status).toBe('EXTENDED'); // the VPN session goes on
    const ended = applyHops(state, [{ ...H.vpn, active: false, lastSeen: T + 20_000, evidenceEventIds: ['ev-h-de-vpn', 'ev-stop'] }], T + 21_000, dir, o);
    expect(ended.update).toMatchObject({ status: 'ENDED' });
    expect(ended.update!.awaiting.map((a) => a.addr)).toEqual([ADDR.usClient]); // may still resolve from logs
  });

  it('prefers a rank-1 sibling that leads on (a relay beside the host\'s owner)', () => {
    expect(bestPath([H.pb, H.fr, H.relay]).map((h) => h.hopId)).toEqual(['h-fr-pb', 'h-fr-relay']);
    expect(bestPath([H.pb, H.fr]).map((h) => h.hopId)).toEqual(['h-fr-pb', 'h-fr-sub']);
  });

  it('AMBIGUOUS while a hop on the best path is below decisiveConfidence, whatever follows', () => {
    const { state } = runHops([H.pb, H.fr, { ...H.relay, confidence: 0.4 }, H.vpn, H.us]);
    expect(state.status).toBe('AMBIGUOUS');
    expect(runHops([H.pb, H.fr, H.relay, H.vpn, H.us]).state.status).toBe('TERMINATED_AT_SUBSCRIBER');
  });

  it('AMBIGUOUS when a rival answer of a best-path hop\'s lookup is as confident (two relay inbounds at 0.999)', () => {
    const twin = { ...H.relay, hopId: 'h-fr-relay-twin', rank: 2, leadsToAddr: '203.0.113.8' };
    expect(runHops([H.pb, H.fr, H.relay, twin, H.vpn, H.us]).state.status).toBe('AMBIGUOUS');
    // a weak rival (<= 1 - decisive) leaves the decision standing; the owner beside it is no rival
    expect(runHops([H.pb, H.fr, H.relay, { ...twin, confidence: 0.05 }, H.vpn, H.us]).state.status).toBe('TERMINATED_AT_SUBSCRIBER');
  });

  it('an undecided relay does not outrank the owner, and the owner is not decided beside it', () => {
    const weak = { ...H.relay, confidence: 0.6 };
    expect(bestPath([H.pb, H.fr, weak]).map((h) => h.hopId)).toEqual(['h-fr-pb', 'h-fr-sub']);
    // the owner at 1.0 with a relay answer at 0.6 on the same host: never terminated at the owner
    const o = { ...DEFAULT_CHAIN_OPTIONS, relayGraceMs: 0 };
    expect(runHops([H.pb, H.fr, weak], T + 2000, o).state.status).toBe('AMBIGUOUS');
    // a decided relay still continues the chain past the owner
    expect(bestPath([H.pb, H.fr, H.relay]).map((h) => h.hopId)).toEqual(['h-fr-pb', 'h-fr-relay']);
  });

  it('AMBIGUOUS when every hop is decided but the path as a whole is not (product below decisiveConfidence)', () => {
    // relay 0.92 x VPN 1 x access 0.95 = 0.874: each hop >= 0.9, the subscriber is not
    const { state } = runHops([H.pb, H.fr, { ...H.relay, confidence: 0.92 }, H.vpn, { ...H.us, confidence: 0.95 }]);
    expect(state.status).toBe('AMBIGUOUS');
    expect(runHops([H.pb, H.fr, { ...H.relay, confidence: 0.95 }, H.vpn, { ...H.us, confidence: 0.95 }]).state.status).toBe('TERMINATED_AT_SUBSCRIBER');
  });

  it('follows rank 1 (the most confident of several), never loops', () => {
    const r1 = hop('r1', null, 1, { confidence: 0.6 });
    const r1b = hop('r1b', null, 1, { confidence: 0.7 });
    const child = hop('c', 'r1b', 2, {});
    const loopA = hop('la', 'lb', 2, {});
    const loopB = hop('lb', 'la', 2, {});
    expect(bestPath([r1, r1b, child, loopA, loopB]).map((h) => h.hopId)).toEqual(['r1b', 'c']);
    expect(bestPath([loopA, loopB])).toEqual([]);
  });

  it('OPEN while no hop is on the best path', () => {
    const { state } = runHops([H.us]);
    expect(state.status).toBe('OPEN');
  });
});
