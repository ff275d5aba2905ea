import { describe, expect, it } from 'vitest';
import type { Hop, TraceRequest } from '../../../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile } from '../../common/provider-directory.ts';
import { applyHops, applyRequest, expire, stallCheck, type ChainState } from './chain.ts';
import { DEFAULT_CHAIN_OPTIONS, bestPath } from './chain-status.ts';
import { viewsFor } from './disclosure.ts';

const dir = createProviderDirectory(loadProvidersFile(new URL('../../../deploy/providers.json', import.meta.url).pathname));
const T = 1_800_000_000_000;
const req = (o: Partial<TraceRequest> = {}): TraceRequest => ({
  traceId: 'tr-1', action: 'OPEN', requestingJurisdiction: 'GB', legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: 'GB-NCA-42',
  srcAddr: '198.51.100.7', srcPort: 40001, dstAddr: '192.0.2.10', dstPort: 443, protocol: 6, observedTime: T, toleranceMs: 2000,
  requestedAt: T + 1000, expiresAt: T + 3_600_000, ...o,
});
const hop = (id: string, parent: string | null, depth: number, o: Partial<Hop>): Hop => ({
  traceId: 'tr-1', hopId: id, parentHopId: parent, depth, jurisdiction: 'FR', providerId: 'fr-telecom', method: 'PORT_BLOCK',
  observedAddr: '198.51.100.7', observedPort: 40001, leadsToAddr: null, leadsToPort: null, subscriberHandle: null, evidenceEventIds: [`ev-${id}`],
  confidence: 1, rank: 1, firstSeen: T - 60_000, lastSeen: T + 10_000, active: true, windowFrom: T - 2000, windowTo: T + 2000, decisiveAt: T + 2000, ...o,
});

// the four-jurisdiction chain: GB sees an FR CGN address -> FR subscriber whose host relays
// <- a DE VPN exit <- a US access subscriber
const H = {
  pb: hop('pb', null, 1, { leadsToAddr: '100.64.3.4' }),
  fr: hop('fr', 'pb', 2, { method: 'ACCESS_SESSION', observedAddr: '100.64.3.4', observedPort: null, subscriberHandle: 'fr-sub-7' }),
  relay: hop('relay', 'fr', 3, { method: 'RELAY_TIMING', observedAddr: '100.64.3.4', observedPort: 51000, leadsToAddr: '203.0.113.7', leadsToPort: 40100, confidence: 0.97 }),
  vpn: hop('vpn', 'relay', 4, { method: 'VPN_SESSION', jurisdiction: 'DE', providerId: 'de-vpn', observedAddr: '203.0.113.7', observedPort: 40100, leadsToAddr: '198.18.4.5', leadsToPort: 61000, subscriberHandle: 'de-acct-9' }),
  us: hop('us', 'vpn', 5, { method: 'ACCESS_SESSION', jurisdiction: 'US', providerId: 'us-access', observedAddr: '198.18.4.5', observedPort: 61000, subscriberHandle: 'us-sub-1' }),
};

function open(): ChainState {
  return applyRequest(undefined, req(), T + 1000, dir)!.state;
}

function runAll(order: Hop[], now = T + 2000) {
  let s = open();
  const seqs: number[] = [];
  const registered: string[] = [];
  for (const h of order) {
    const o = applyHops(s, [h], now, dir);
    s = o.state;
    if (o.update) seqs.push(o.update.seq);
    registered.push(...o.register.map((l) => `${l.mode}:${l.addr}`));
  }
  return { s, seqs, registered };
}

describe('trace chain', () => {
  it('opens with the first lookup on the observed source, once', () => {
    const o = applyRequest(undefined, req(), T + 1000, dir)!;
    expect(o.update).toMatchObject({ seq: 1, status: 'OPEN', requestingJurisdiction: 'GB' });
    expect(o.register.map((l) => [l.mode, l.addr, l.port, l.windowFrom, l.windowTo, l.peerAddr])).toEqual([['session', '198.51.100.7', 40001, T - 2000, T + 2000, '192.0.2.10']]);
    expect(o.update!.awaiting.map((a) => a.jurisdiction)).toEqual(['FR']);
    const again = applyRequest(o.state, req(), T + 5000, dir)!;
    expect([again.update, again.register]).toEqual([null, []]);
  });

  it('grows across four jurisdictions to the US subscriber, with the lookups each hop needs', () => {
    const { s, seqs, registered } = runAll([H.pb, H.fr, H.relay, H.vpn, H.us]);
    expect(seqs).toEqual([2, 3, 4, 5, 6]);
    expect(registered).toEqual(['session:100.64.3.4', 'relay:100.64.3.4', 'session:203.0.113.7', 'session:198.18.4.5', 'relay:198.18.4.5']);
    expect(s.lookups.find((l) => l.addr === '100.64.3.4' && l.mode === 'session')!.scopeProviderId).toBe('fr-telecom');
    expect(s.lookups.find((l) => l.addr === '203.0.113.7')!.peerAddr).toBeNull(); // after a relay the far end is unknown
    expect(bestPath(s.hops).map((h) => h.hopId)).toEqual(['pb', 'fr', 'relay', 'vpn', 'us']);
    expect(s.status).toBe('EXTENDED'); // the US host could still be a relay, within the grace period
    const later = stallCheck(s, T + 2000 + DEFAULT_CHAIN_OPTIONS.relayGraceMs, dir);
    expect(later.update?.status).toBe('TERMINATED_AT_SUBSCRIBER');
  });

  it('ends the same whatever order and however often the hops arrive', () => {
    const a = runAll([H.pb, H.fr, H.relay, H.vpn, H.us]).s;
    const b = runAll([H.us, H.vpn, H.vpn, H.relay, H.pb, H.us, H.fr, H.pb]);
    expect(b.s.hops.map((h) => h.hopId).sort()).toEqual(a.hops.map((h) => h.hopId).sort());
    expect(b.seqs).toEqual([2, 3, 4, 5, 6]); // duplicates make no update
    expect(b.s.status).toBe(a.status);
  });

  it('updates a known hop in place when live data changes it', () => {
    const { s } = runAll([H.pb]);
    const o = applyHops(s, [{ ...H.pb, lastSeen: T + 30_000, active: false }], T + 31_000, dir);
    expect(o.update?.hops).toHaveLength(1);
    expect(o.update?.hops[0]).toMatchObject({ active: false, lastSeen: T + 30_000 });
    expect(o.update?.change).toMatch(/ended/);
  });

  it('stalls an open end after the timeout, naming the lookup it waits for; expires; close is sticky', () => {
    const s = open();
    const st = stallCheck(s, T + 1000 + DEFAULT_CHAIN_OPTIONS.stallAfterMs, dir);
    expect(st.update).toMatchObject({ status: 'STALLED' });
    expect(st.update!.awaiting[0]).toMatchObject({ addr: '198.51.100.7', port: 40001, jurisdiction: 'FR', providerId: 'fr-telecom' });
    expect(expire(s, T + 3_600_001, dir).update?.status).toBe('EXPIRED');
    const c = applyRequest(s, req({ action: 'CLOSE' }), T + 2000, dir)!;
    expect(c.update?.status).toBe('CLOSED');
    expect(applyHops(c.state, [H.pb], T + 3000, dir).update).toBeNull();
    expect(applyRequest(s, req({ action: 'CLOSE', requestingJurisdiction: 'FR' }), T + 2000, dir)!.update).toBeNull(); // only the requester
  });
});

describe('disclosure views', () => {
  const { s } = runAll([H.pb, H.fr, H.relay, H.vpn, H.us]);
  const full = applyHops(s, [{ ...H.us, lastSeen: T + 20_000 }], T + 3000, dir).update!;
  const views = viewsFor(full);
  it('goes to the requester and every jurisdiction the chain enters', () => {
    expect([...views.keys()]).toEqual(['DE', 'FR', 'GB', 'US']);
  });
  it('shows the requester the whole path without subscriber handles of other jurisdictions', () => {
    const gb = views.get('GB')!;
    expect(gb.hops.map((h) => h.hopId)).toEqual(['pb', 'fr', 'relay', 'vpn', 'us']);
    expect(gb.hops.every((h) => h.subscriberHandle === null)).toBe(true);
  });
  it('shows an entered jurisdiction only its own hops: DE never sees the FR inside address', () => {
    const de = views.get('DE')!;
    expect(de.hops.map((h) => h.hopId)).toEqual(['vpn']);
    expect(JSON.stringify(de)).not.toContain('100.64.3.4');
    expect(JSON.stringify(de)).not.toContain('us-sub-1');
    expect(de.hops[0]!.subscriberHandle).toBe('de-acct-9');
    expect(de.caseReference).toBe('GB-NCA-42');
  });
  it('gives a subscriber handle only to its own jurisdiction', () => {
    expect(views.get('US')!.hops.map((h) => h.subscriberHandle)).toEqual(['us-sub-1']);
    expect(views.get('FR')!.hops.find((h) => h.hopId === 'fr')!.subscriberHandle).toBe('fr-sub-7');
    expect(JSON.stringify(views.get('GB'))).not.toContain('us-sub-1');
  });
});
