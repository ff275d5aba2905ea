// The interim interval a session's own records give (session-match.ts ownInterval, where the
// provider's is not configured) is the lower median of the gaps between its interims: one lost
// interim or a logging outage in the series does not stretch the reach back so far that a
// session first seen 3 days after the window is decided.
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile } from '../../common/provider-directory.ts';
import { DEFAULT_JOIN_SETTINGS, resolveLookup } from '../join.ts';
import type { IndexedEvent, Lookup } from '../join-types.ts';

const dir = createProviderDirectory(loadProvidersFile(new URL('../../../deploy/providers.json', import.meta.url).pathname));
const T = Date.UTC(2026, 11, 1, 12);
const H = 3_600_000;
const blk = (id: string, at: number, action: SessionEvent['action']): IndexedEvent => ({ kind: 'session', producedAt: at, ev: {
  eventId: id, exporterId: 'fr-cgn-1', exportTime: at, kind: 'PORT_BLOCK', action, natEvent: action === 'STOP' ? 17 : 16, eventTime: at, protocol: null,
  outsideAddr: '198.18.27.200', outsidePort: null, portRangeStart: 8192, portRangeEnd: 8703, insideAddr: '100.74.98.1', insidePort: null,
  framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null, subscriberHandle: null,
  jurisdiction: 'FR', providerId: 'fr-telecom', clockOffsetMs: 0,
} as SessionEvent });
const l: Lookup = { lookupId: 'L', traceId: 't', parentHopId: null, depth: 1, mode: 'session', addr: '198.18.27.200', scopeProviderId: null, port: 8300,
  protocol: 6, peerAddr: '192.0.2.10', peerPort: 443, windowFrom: T - 2000, windowTo: T + 2000, since: T };

describe('first seen 3 days after the window, interims every 12 h (stale-backward.test.ts: shown, not decided)', () => {
  it('one interim of the series lost (one 24 h gap): still shown, not decided', () => {
    const recs = [0, 1, 3, 4].map((k) => blk(`i${k}`, T + 72 * H + k * 12 * H, 'INTERIM'));
    const hops = resolveLookup(l, recs, dir, DEFAULT_JOIN_SETTINGS);
    expect(hops[0]!.confidence).toBeLessThanOrEqual(0.5);
  });
  it('a 3-day logging outage in the series: still shown, not decided', () => {
    const recs = [blk('a', T + 72 * H, 'INTERIM'), blk('b', T + 84 * H, 'INTERIM'), blk('c', T + 156 * H, 'INTERIM'), blk('d', T + 168 * H, 'INTERIM')];
    const hops = resolveLookup(l, recs, dir, DEFAULT_JOIN_SETTINGS);
    expect(hops[0]!.confidence).toBeLessThanOrEqual(0.5);
  });
});
