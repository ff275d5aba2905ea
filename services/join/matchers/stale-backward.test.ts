// The backward staleness rule (session-match.ts staleOf): a session whose START is not on record
// and whose first own record comes more than its interim interval x 3 after the window is shown,
// not decided. Where the provider's interval is not configured the session's own records give it
// (ownInterval), but records closer than STOP_COPY_MS are copies (an HA pair's, a proxy's): a
// de-allocation and its copy 2 s later once made the interval 6 s and the true holder stale.
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile } from '../../common/provider-directory.ts';
import { DEFAULT_JOIN_SETTINGS, resolveLookup } from '../join.ts';
import type { IndexedEvent, Lookup } from '../join-types.ts';

const dir = createProviderDirectory(loadProvidersFile(new URL('../../../deploy/providers.json', import.meta.url).pathname));
const T = Date.UTC(2026, 11, 1, 12);
const blk = (id: string, at: number, action: SessionEvent['action']): IndexedEvent => ({ kind: 'session', producedAt: at, ev: {
  eventId: id, exporterId: 'fr-cgn-1', exportTime: at, kind: 'PORT_BLOCK', action, natEvent: action === 'STOP' ? 17 : 16, eventTime: at, protocol: null,
  outsideAddr: '198.19.98.1', outsidePort: null, portRangeStart: 8192, portRangeEnd: 8703, insideAddr: '100.72.98.1', insidePort: null,
  framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null, subscriberHandle: null,
  jurisdiction: 'FR', providerId: 'fr-telecom', clockOffsetMs: 0,
} as SessionEvent });
const l: Lookup = { lookupId: 'L', traceId: 't', parentHopId: null, depth: 1, mode: 'session', addr: '198.19.98.1', scopeProviderId: null, port: 8300,
  protocol: 6, peerAddr: '192.0.2.10', peerPort: 443, windowFrom: T - 2000, windowTo: T + 2000, since: T };

describe('a session first seen after the window, its start lost', () => {
  it('a de-allocation 1 h after the window (allocation beyond the look-back) decides the block', () => {
    const hops = resolveLookup(l, [blk('d1', T + 3_600_000, 'STOP')], dir, DEFAULT_JOIN_SETTINGS);
    expect(hops[0]?.confidence).toBeGreaterThanOrEqual(0.9);
  });
  it('... and so does the same de-allocation logged twice 2 s apart', () => {
    const hops = resolveLookup(l, [blk('d1', T + 3_600_000, 'STOP'), blk('d2', T + 3_602_000, 'STOP')], dir, DEFAULT_JOIN_SETTINGS);
    expect(hops[0]?.confidence).toBeGreaterThanOrEqual(0.9);
  });
  it('interims every 12 h, the first 3 days after the window: shown, not decided (a shorter CGN log retention than the access logs\')', () => {
    const recs = [0, 1, 2, 3].map((k) => blk(`i${k}`, T + 3 * 86_400_000 + k * 43_200_000, 'INTERIM'));
    const hops = resolveLookup(l, recs, dir, DEFAULT_JOIN_SETTINGS);
    expect(hops.map((h) => h.leadsToAddr)).toEqual(['100.72.98.1']);
    expect(hops[0]!.confidence).toBeLessThanOrEqual(0.5);
  });
  it('the same interims from 12 h after the window on: decided', () => {
    const recs = [0, 1, 2, 3].map((k) => blk(`i${k}`, T + 43_200_000 + k * 43_200_000, 'INTERIM'));
    expect(resolveLookup(l, recs, dir, DEFAULT_JOIN_SETTINGS)[0]!.confidence).toBeGreaterThanOrEqual(0.9);
  });
  it('interims an hour apart, the first 20 min after the window, a de-allocation 2 min after the last: decided (a STOP is no interim)', () => {
    const recs = [blk('i1', T + 1_200_000, 'INTERIM'), blk('i2', T + 4_800_000, 'INTERIM'), blk('d', T + 4_920_000, 'STOP')];
    expect(resolveLookup(l, recs, dir, DEFAULT_JOIN_SETTINGS)[0]?.confidence).toBeGreaterThanOrEqual(0.9);
  });
});
