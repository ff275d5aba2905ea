// A hosting server (a VPS that exports flow records) is the observed source and its provider
// also logs the server's customer: the owner is found at confidence 1. Whether the server
// relayed the connection only its flow records answer. Review defect 3: with NO flow evidence
// at all (trace opened 10 days later, flow retention shorter; or live, the exporter's 60 s
// active timeout not yet passed) the chain used to terminate at the owner after relayGraceMs.
import { describe, expect, it } from 'vitest';
import type { Hop, Provider, TraceRequest } from '../../../schemas/types.gen.ts';
import { createProviderDirectory } from '../../common/provider-directory.ts';
import { applyHops, applyRequest, noteFlowsIndexed, noteOutboundSeen, stallCheck } from './chain.ts';
import { DEFAULT_CHAIN_OPTIONS } from './chain-status.ts';

const T = 1_800_000_000_000;
const DAY = 86_400_000;
const { relayGraceMs, flowExportLagMs, clockToleranceMs, stallAfterMs } = DEFAULT_CHAIN_OPTIONS;
const nl: Provider = {
  providerId: 'nl-hosting', jurisdiction: 'NL', name: 'nl', kind: 'HOSTING', prefixes: ['192.88.99.0/24'],
  exporters: ['nl-flow-1', 'nl-aaa-1'], deterministicNat: [], maxSessionAgeMs: { ACCESS_SESSION: 30 * DAY }, interimIntervalMs: {},
  exporterKinds: { 'nl-flow-1': 'flow', 'nl-aaa-1': 'radius' }, natMappingTimeoutMs: {}, delegatedPrefixLength: null, flowExportLagMs: {},
};
const gb: Provider = { ...nl, providerId: 'gb-victimhost', jurisdiction: 'GB', prefixes: ['192.0.2.0/24'], exporters: ['gb-flow-1'], exporterKinds: { 'gb-flow-1': 'flow' } };
const dir = createProviderDirectory([nl, gb]);

function setup(observed: number, opened: number) {
  const req: TraceRequest = {
    traceId: 'tr-h', action: 'OPEN', requestingJurisdiction: 'GB', legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: 'GB-1',
    srcAddr: '192.88.99.10', srcPort: 51000, dstAddr: '192.0.2.10', dstPort: 443, protocol: 6, observedTime: observed, toleranceMs: 2000,
    requestedAt: opened, expiresAt: opened + 30 * DAY,
  };
  const owner: Hop = {
    traceId: 'tr-h', hopId: 'h-owner', parentHopId: null, depth: 1, jurisdiction: 'NL', providerId: 'nl-hosting', method: 'ACCESS_SESSION',
    observedAddr: '192.88.99.10', observedPort: 51000, leadsToAddr: null, leadsToPort: null, subscriberHandle: 'nl-customer-1',
    evidenceEventIds: ['nl-aaa-1/s1'], confidence: 1, rank: 1, firstSeen: observed - 20 * DAY, lastSeen: observed - 20 * DAY, active: true,
    windowFrom: observed - 2000, windowTo: observed + 2000, decisiveAt: opened + 500, source: 'LIVE', pathConfidence: null, onBestPath: null,
  };
  const open = applyRequest(undefined, req, opened, dir)!;
  const relay = open.register.find((l) => l.mode === 'relay')!;
  expect(open.register.map((l) => l.mode).sort()).toEqual(['relay', 'session']);
  const withOwner = applyHops(open.state, [owner], opened + 1000, dir);
  return { relay, state: withOwner.state };
}

describe('a hosting server\'s owner vs a relay through the server', () => {
  it('does not terminate at the owner when no flow of the window was read: AMBIGUOUS, the relay lookup awaited', () => {
    const opened = T;
    const { state } = setup(T - 10 * DAY, opened);
    expect(state.serverRelays).toHaveLength(1);
    const later = stallCheck(state, opened + 1000 + relayGraceMs + 1000, dir);
    expect(later.update?.status).toBe('AMBIGUOUS');
    expect(later.update!.change).toContain('the host\'s owner, or a client it relayed for');
    expect(later.update!.awaiting).toEqual([expect.objectContaining({ addr: '192.88.99.10', providerId: 'nl-hosting' })]);
    expect(later.update!.hops.map((h) => h.subscriberHandle)).toEqual(['nl-customer-1']); // the candidate is shown
    // days later still no flow evidence: still not terminated
    expect(stallCheck(later.state, opened + 5 * DAY, dir).state.status).toBe('AMBIGUOUS');
  });

  it('terminates once the flow watermark passed the window AND a read saw the server\'s own outbound flow to the peer', () => {
    const opened = T;
    const { relay, state } = setup(T - 10 * DAY, opened);
    const seen = noteOutboundSeen(state, relay, opened + 1500, dir);
    expect(seen.update!.change).toContain('outbound flow toward 192.0.2.10 seen');
    expect(noteOutboundSeen(seen.state, relay, opened + 9000, dir).update).toBeNull(); // only the first sighting counts
    // the outbound flow alone says the window's flows were exported, not that all were indexed
    expect(stallCheck(seen.state, opened + 5 * DAY, dir).state.status).not.toBe('TERMINATED_AT_SUBSCRIBER');
    const t = noteFlowsIndexed(seen.state, relay, opened + 1000, opened + 2000, dir);
    expect(t.update).toMatchObject({ status: 'TERMINATED_AT_SUBSCRIBER', awaiting: [] });
  });

  it('a watermark past the window without the server\'s own flow (a trace opened after the flow retention) settles nothing', () => {
    const opened = T;
    const { relay, state } = setup(T - 10 * DAY, opened);
    const marked = noteFlowsIndexed(state, relay, opened, opened + 1500, dir).state;
    expect(stallCheck(marked, opened + 5 * DAY, dir).state.status).toBe('AMBIGUOUS');
  });

  it('live: waits for the flow watermark, not the wall clock, even with the outbound flow seen', () => {
    const observed = T;
    const opened = T + 1000;
    const { relay, state } = setup(observed, opened);
    const seen = noteOutboundSeen(state, relay, opened + 1200, dir).state;
    const due = relay.windowTo + flowExportLagMs + clockToleranceMs; // nl-hosting declares no lag: the default
    expect(seen.relayDueAt![relay.lookupId]).toBe(due);
    // relayGraceMs, then the export lag passed on the wall clock: the inbound relay flow's
    // record may still be queued behind an ingest backlog, so the chain is not terminated
    expect(stallCheck(seen, opened + 1000 + relayGraceMs + 1000, dir).state.status).toBe('EXTENDED');
    expect(stallCheck(seen, relay.windowTo + flowExportLagMs, dir).state.status).toBe('EXTENDED');
    // overdue (its records due + stallAfterMs): owner or relay
    expect(stallCheck(seen, due + stallAfterMs, dir).state.status).toBe('AMBIGUOUS');
    expect(noteFlowsIndexed(seen, relay, due, due + 500, dir).state.status).toBe('TERMINATED_AT_SUBSCRIBER');
  });
});
