// Review defect 1 (tracing.review.md): RFC 2866 Acct-Session-Id is unique per NAS only, and many
// NASes count it from 1 again after a reboot. Two subscribers' sessions under one sid must not
// merge into one interval that names the later subscriber over the earlier one's time.
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile } from '../../common/provider-directory.ts';
import { DEFAULT_JOIN_OPTIONS, type IndexedEvent, type Lookup } from '../join-types.ts';
import { ACCESS_SESSION } from '../methods/access-session.ts';
import { buildIntervals, type SessionRecord } from './session-intervals.ts';
import { matchSessions, sliceByState } from './session-match.ts';

const dir = createProviderDirectory(loadProvidersFile(new URL('../../../deploy/providers.json', import.meta.url).pathname));
const T = 1_800_000_000_000;
const M = 60_000;
const H = 3_600_000;
const opts = { ...DEFAULT_JOIN_OPTIONS };
let n = 0;
const acc = (o: Partial<SessionEvent>): IndexedEvent => ({
  kind: 'session', producedAt: (o.eventTime ?? T) + 100 + n, ev: {
    eventId: `a${n++}`, exporterId: 'us-bng-1', exportTime: o.eventTime ?? T, kind: 'ACCESS_SESSION', action: 'START', natEvent: null, eventTime: T, protocol: null,
    outsideAddr: null, outsidePort: null, portRangeStart: null, portRangeEnd: null, insideAddr: null, insidePort: null,
    framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: '00000001', acctDelayTime: null, subscriberHandle: null,
    jurisdiction: 'US', providerId: 'us-access', clockOffsetMs: 0, ...o,
  },
});
/** A session's START and its Interim-Updates every 15 min (us-access's Acct-Interim-Interval) up to `until`. */
const session = (o: Partial<SessionEvent> & { eventTime: number }, until: number): IndexedEvent[] => {
  const out = [acc(o)];
  for (let t = o.eventTime + 15 * M; t <= until; t += 15 * M) out.push(acc({ ...o, action: 'INTERIM', eventTime: t }));
  return out;
};
const look = (addr: string, t: number): Lookup => ({
  lookupId: 'L1', traceId: 'tr1', parentHopId: null, depth: 1, mode: 'session', addr, scopeProviderId: null, port: 51000, protocol: 6,
  peerAddr: '192.0.2.10', peerPort: 443, windowFrom: t - 2000, windowTo: t + 2000, since: t,
});
const named = (hops: { subscriberHandle: string | null; confidence: number }[]) => hops.map((h) => [h.subscriberHandle, h.confidence]);

describe('Acct-Session-Id reuse (RFC 2866: unique per NAS only)', () => {
  it('two BNGs of one provider both use sid 00000001: a lookup in X\'s /56 names X, never Y', () => {
    // both /56s lie in 2001:db8:100::/48, so all records share one window; Y's last Interim is the latest record
    const x = session({ exporterId: 'us-bng-1', eventTime: T, delegatedIpv6Prefix: '2001:db8:100:100::/56', subscriberHandle: 'sub-X' }, T + 2 * H + 45 * M);
    const y = session({ exporterId: '127.0.0.1', eventTime: T + H + 5 * M, delegatedIpv6Prefix: '2001:db8:100:200::/56', subscriberHandle: 'sub-Y' }, T + 2 * H + 50 * M);
    expect(named(matchSessions(look('2001:db8:100:100::1', T + 2 * H), [...x, ...y], dir, opts))).toEqual([['sub-X', 1]]);
  });

  it('the same BNG after a reboot: sid 1 and the first pool address handed out again name X before Z\'s START', () => {
    // X: sid 1, 198.18.0.1 from T, interims until the NAS reboots at T+20h (X's STOP is lost);
    // Z: sid 1, 198.18.0.1 again at T+21h, the first session after the reboot.
    const x = session({ eventTime: T, framedIpAddress: '198.18.0.1', subscriberHandle: 'sub-X' }, T + 20 * H - 1);
    const z = session({ eventTime: T + 21 * H, framedIpAddress: '198.18.0.1', subscriberHandle: 'sub-Z' }, T + 22 * H);
    expect(named(matchSessions(look('198.18.0.1', T + 10 * H), [...x, ...z], dir, opts))).toEqual([['sub-X', 1]]);
    expect(named(matchSessions(look('198.18.0.1', T + 21 * H + 30 * M), [...x, ...z], dir, opts))).toEqual([['sub-Z', 1]]);
  });

  it('the same sid on another NAS: a lookup on Y\'s prefix before Y\'s session began names nobody', () => {
    const x = acc({ exporterId: 'us-bng-1', eventTime: T, delegatedIpv6Prefix: '2001:db8:100:100::/56', subscriberHandle: 'sub-X' });
    const y = acc({ exporterId: '127.0.0.1', eventTime: T + 5 * H, delegatedIpv6Prefix: '2001:db8:100:200::/56', subscriberHandle: 'sub-Y' });
    expect(matchSessions(look('2001:db8:100:200::1', T + H), [x, y], dir, opts).filter((h) => h.confidence >= 0.9)).toEqual([]);
  });

  it('the same sid on the same NAS for another address (no handles logged): the second START begins a new session', () => {
    const a = acc({ eventTime: T, framedIpAddress: '198.18.0.1' });
    const b = acc({ eventTime: T + 5 * H, framedIpAddress: '198.18.0.2' });
    expect(matchSessions(look('198.18.0.2', T + H), [a, b], dir, opts).filter((h) => h.confidence >= 0.9)).toEqual([]);
  });

  it('Z\'s START lost after the reboot, only its Interim-Update: X and Z both shown before it, neither decided', () => {
    const x = acc({ eventTime: T, framedIpAddress: '198.18.0.1', subscriberHandle: 'sub-X' });
    const z = acc({ eventTime: T + 21 * H, action: 'INTERIM', framedIpAddress: '198.18.0.1', subscriberHandle: 'sub-Z' });
    const hops = matchSessions(look('198.18.0.1', T + 10 * H), [x, z], dir, opts);
    expect(hops.map((h) => h.subscriberHandle).sort()).toEqual(['sub-X', 'sub-Z']);
    expect(hops.filter((h) => h.confidence >= 0.9)).toEqual([]);
  });
});

describe('a START under a live session\'s key (session-intervals continues)', () => {
  const recs = (evs: IndexedEvent[]): SessionRecord[] => evs.map((e) => ({ ev: e.ev as SessionEvent, producedAt: e.producedAt }));
  const intervals = (evs: IndexedEvent[]) => buildIntervals(recs(evs), ACCESS_SESSION.session!.rules, 14 * 24 * H)
    .map((iv) => [iv.start - T, iv.end === iv.start ? 'same' : iv.end - T, iv.endReason, iv.records.length]);

  it('repeating what the session claims continues it; another subscriber or another claim begins a new one', () => {
    const x = acc({ eventTime: T, framedIpAddress: '198.18.0.1', delegatedIpv6Prefix: '2001:db8:100:100::/56', subscriberHandle: 'sub-X' });
    const again = acc({ eventTime: T + H, framedIpAddress: '198.18.0.1' }); // a retransmitted START naming part of it
    const stop = acc({ eventTime: T + 3 * H, action: 'STOP' });
    expect(intervals([x, again, stop])).toEqual([[0, 3 * H, 'stop', 3]]);
    const z = acc({ eventTime: T + H, framedIpAddress: '198.18.0.1', subscriberHandle: 'sub-Z' });
    expect(intervals([x, z, stop])).toEqual([[0, H, 'superseded', 1], [H, 3 * H, 'stop', 2]]);
    const other = acc({ eventTime: T + H, framedIpAddress: '198.18.0.9' });
    expect(intervals([x, other, stop])).toEqual([[0, H, 'superseded', 1], [H, 3 * H, 'stop', 2]]);
  });

  it('two STARTs of one key on the same millisecond stay one session, whatever their order', () => {
    const x = acc({ eventTime: T, framedIpAddress: '198.18.0.1', subscriberHandle: 'sub-X' });
    const z = acc({ eventTime: T, framedIpAddress: '198.18.0.1', subscriberHandle: 'sub-Z' });
    expect(intervals([x, z])).toEqual(intervals([z, x]));
    expect(intervals([x, z])).toHaveLength(1);
    // and the lookup shows both holders, undecided
    const hops = matchSessions(look('198.18.0.1', T + H), [z, x], dir, opts);
    expect(hops.map((h) => [h.subscriberHandle, h.confidence]).sort()).toEqual([['sub-X', 0.5], ['sub-Z', 0.5]]);
  });
});

describe('what a session claims at an instant comes from its records up to then (sliceByState)', () => {
  it('a prefix first named in a later Interim-Update does not reach back past the previous record', () => {
    const start = acc({ eventTime: T, framedIpAddress: '198.18.0.1', subscriberHandle: 'sub-X' });
    const i1 = acc({ eventTime: T + H, action: 'INTERIM', framedIpAddress: '198.18.0.1', subscriberHandle: 'sub-X' });
    const i2 = acc({ eventTime: T + 2 * H, action: 'INTERIM', framedIpAddress: '198.18.0.1', delegatedIpv6Prefix: '2001:db8:100:100::/56', subscriberHandle: 'sub-X' });
    expect(matchSessions(look('2001:db8:100:100::1', T + 30 * M), [start, i1, i2], dir, opts)).toEqual([]);
    // between the Interim that lacked it and the one that names it the delegation may have begun
    expect(named(matchSessions(look('2001:db8:100:100::1', T + 90 * M), [start, i1, i2], dir, opts))).toEqual([['sub-X', 1]]);
  });

  it('cuts only where the claim or the holder changes', () => {
    const recs = [
      acc({ eventTime: T, framedIpAddress: '198.18.0.1', subscriberHandle: 'sub-X' }),
      acc({ eventTime: T + H, action: 'INTERIM', framedIpAddress: '198.18.0.1' }),
      acc({ eventTime: T + 2 * H, action: 'INTERIM', framedIpAddress: '198.18.0.1', subscriberHandle: 'sub-Z' }),
    ].map((e) => ({ ev: e.ev as SessionEvent, producedAt: e.producedAt }));
    const iv = { key: 'k', start: T, end: T + 5 * H, startSeen: true, endReason: 'open' as const, records: recs, lastEvidence: T + 2 * H };
    const strength = (ev: SessionEvent) => (ev.framedIpAddress === '198.18.0.1' ? 32 : -1);
    expect(sliceByState({ ...iv, records: recs.slice(0, 2) }, strength)).toEqual([{ ...iv, records: recs.slice(0, 2) }]);
    expect(sliceByState(iv, strength).map((s) => [s.start - T, s.end - T, s.records.length, s.endReason])).toEqual([
      [0, 2 * H, 2, 'superseded'], // X's: until Z's first record
      [H, 5 * H, 1, 'open'], // Z's: from X's last record
    ]);
  });
});
