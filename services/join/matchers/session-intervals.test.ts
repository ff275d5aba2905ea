import { describe, expect, it } from 'vitest';
import type { SessionAction, SessionEvent } from '../../../schemas/types.gen.ts';
import { buildIntervals, dedupeRecords, type IntervalRules, type SessionRecord } from './session-intervals.ts';

const AGE = 1000;
// A toy resource: every record claims the one resource; the session is the inside address.
const rules: IntervalRules = { sessionKey: (ev) => ev.insideAddr!, bucket: () => 'b', conflicts: () => true };
const rec = (id: string, action: SessionAction, t: number, who: string, producedAt = 0): SessionRecord => ({
  producedAt,
  ev: { eventId: id, exporterId: 'x', eventTime: t, action, insideAddr: who } as SessionEvent,
});
const shape = (rs: SessionRecord[]) => buildIntervals(rs, rules, AGE)
  .map((i) => [i.key, i.start, i.end, i.endReason, i.startSeen, i.records.map((r) => r.ev.eventId).join(',')]);

describe('buildIntervals', () => {
  it('pairs START and STOP whatever the input order', () => {
    const rs = [rec('b', 'STOP', 500, 'A'), rec('a', 'START', 100, 'A')];
    expect(shape(rs)).toEqual([['A', 100, 500, 'stop', true, 'a,b']]);
  });
  it('bounds an open session by max age and starts a new one after it', () => {
    expect(shape([rec('a', 'START', 100, 'A')])).toEqual([['A', 100, 1100, 'open', true, 'a']]);
    expect(shape([rec('a', 'START', 100, 'A'), rec('b', 'START', 1500, 'A')]))
      .toEqual([['A', 100, 1100, 'expired', true, 'a'], ['A', 1500, 2500, 'open', true, 'b']]);
    // a repeated START within the bound continues the session
    expect(shape([rec('a', 'START', 100, 'A'), rec('b', 'START', 900, 'A')])).toEqual([['A', 100, 1900, 'open', true, 'a,b']]);
  });
  it('INTERIM proves activity: the bound is max age past the last evidence', () => {
    expect(shape([rec('a', 'START', 100, 'A'), rec('b', 'INTERIM', 1050, 'A'), rec('c', 'INTERIM', 1900, 'A')]))
      .toEqual([['A', 100, 2900, 'open', true, 'a,b,c']]);
    // an INTERIM after a silence longer than max age is another session, its start unknown
    expect(shape([rec('a', 'START', 100, 'A'), rec('b', 'INTERIM', 3000, 'A')]))
      .toEqual([['A', 100, 1100, 'expired', true, 'a'], ['A', 2000, 4000, 'open', false, 'b']]);
  });
  it('a record of the same key that names another holder begins a new session (a session id reused after a NAS reboot)', () => {
    const byId: IntervalRules = { ...rules, sessionKey: () => 'sid-1', sameSession: (a, b) => a.insideAddr === b.insideAddr };
    const rs = [rec('a', 'START', 100, 'X'), rec('b', 'INTERIM', 300, 'X'), rec('c', 'START', 500, 'Y'), rec('d', 'INTERIM', 700, 'Y')];
    expect(buildIntervals(rs, byId, AGE).map((i) => [i.start, i.end, i.endReason, i.records.map((r) => r.ev.insideAddr).join(',')]))
      .toEqual([[100, 500, 'superseded', 'X,X'], [500, 1700, 'open', 'Y,Y']]);
    // without the rule the new holder's records would extend the old holder's session
    expect(buildIntervals(rs, { ...byId, sameSession: undefined }, AGE)).toHaveLength(1);
    // the new holder's START lost: its STOP is not the old holder's STOP
    const stopOnly = [rec('a', 'START', 100, 'X'), rec('b', 'INTERIM', 300, 'X'), rec('z', 'STOP', 800, 'Y')];
    expect(buildIntervals(stopOnly, byId, AGE).map((i) => [i.start, i.end, i.endReason, i.startSeen, i.records.map((r) => r.ev.insideAddr).join(',')]))
      .toEqual([[100, 800, 'superseded', true, 'X,X'], [300, 800, 'stop', false, 'Y']]);
  });
  it('ends an open session when another session claims the resource', () => {
    expect(shape([rec('a', 'START', 100, 'A'), rec('b', 'START', 400, 'B'), rec('c', 'STOP', 600, 'B')]))
      .toEqual([['A', 100, 400, 'superseded', true, 'a'], ['B', 400, 600, 'stop', true, 'b,c']]);
  });
  it('a late INTERIM or STOP of a superseded session contradicts the supersession: both stay concurrent', () => {
    // A superseded by B at 400; A's Interim at 600 says A still held it: A resumes, B is not ended
    expect(shape([rec('a', 'START', 100, 'A'), rec('b', 'START', 400, 'B'), rec('c', 'INTERIM', 600, 'A')]))
      .toEqual([['A', 100, 1600, 'open', true, 'a,c'], ['B', 400, 1400, 'open', true, 'b']]);
    // a late STOP of A ends A there; B held on
    expect(shape([rec('a', 'START', 100, 'A'), rec('b', 'START', 400, 'B'), rec('c', 'STOP', 600, 'A')]))
      .toEqual([['A', 100, 600, 'stop', true, 'a,c'], ['B', 400, 1400, 'open', true, 'b']]);
    // a third START still supersedes both
    expect(shape([rec('a', 'START', 100, 'A'), rec('b', 'START', 400, 'B'), rec('c', 'INTERIM', 600, 'A'), rec('d', 'START', 800, 'C')]))
      .toEqual([['A', 100, 800, 'superseded', true, 'a,c'], ['B', 400, 800, 'superseded', true, 'b'], ['C', 800, 1800, 'open', true, 'd']]);
  });
  it('judges conflicts on every record of a session, not only its first', () => {
    // the resource ('r') first appears in A's Interim (a Delegated-IPv6-Prefix sent late)
    const byRes: IntervalRules = { sessionKey: (ev) => ev.insideAddr!, bucket: () => 'b', conflicts: (x, y) => x.outsideAddr === 'r' && y.outsideAddr === 'r' };
    const with_ = (r: SessionRecord, res: string | null) => ({ ...r, ev: { ...r.ev, outsideAddr: res } });
    const got = buildIntervals([with_(rec('a', 'START', 100, 'A'), null), with_(rec('b', 'INTERIM', 200, 'A'), 'r'), with_(rec('c', 'START', 400, 'B'), 'r')], byRes, AGE)
      .map((i) => [i.key, i.end, i.endReason]);
    expect(got).toEqual([['A', 400, 'superseded'], ['B', 1400, 'open']]);
  });
  it('a STOP without START starts after the previous holder, or max age before', () => {
    expect(shape([rec('a', 'START', 100, 'A'), rec('b', 'STOP', 300, 'A'), rec('c', 'STOP', 700, 'B')]))
      .toEqual([['A', 100, 300, 'stop', true, 'a,b'], ['B', 300, 700, 'stop', false, 'c']]);
    expect(shape([rec('c', 'STOP', 5000, 'B')])).toEqual([['B', 4000, 5000, 'stop', false, 'c']]);
    // an open holder with a lost stop: both are candidates between its last evidence and the STOP
    expect(shape([rec('a', 'START', 100, 'A'), rec('c', 'STOP', 700, 'B')]))
      .toEqual([['A', 100, 700, 'superseded', true, 'a'], ['B', 100, 700, 'stop', false, 'c']]);
  });
  it('hands over at one timestamp: the STOP of one and the START of the next; START+STOP at one ms is zero-length', () => {
    expect(shape([rec('b', 'START', 300, 'B'), rec('a2', 'STOP', 300, 'A'), rec('a1', 'START', 100, 'A')]))
      .toEqual([['A', 100, 300, 'stop', true, 'a1,a2'], ['B', 300, 1300, 'open', true, 'b']]);
    expect(shape([rec('s', 'STOP', 300, 'A'), rec('r', 'START', 300, 'A')])).toEqual([['A', 300, 300, 'stop', true, 'r,s']]);
  });
  it('does not let sessions in other buckets or without conflict end each other', () => {
    const shared: IntervalRules = { ...rules, conflicts: () => false };
    const out = buildIntervals([rec('a', 'START', 100, 'A'), rec('b', 'START', 400, 'B')], shared, AGE).map((i) => [i.key, i.end, i.endReason]);
    expect(out).toEqual([['A', 1100, 'open'], ['B', 1400, 'open']]);
  });
  it('dedupes by exporter/eventId, keeping the earliest produced copy', () => {
    const a = rec('a', 'START', 100, 'A', 5);
    const later = rec('a', 'START', 100, 'A', 9);
    const other = { ...rec('a', 'START', 100, 'A', 1), ev: { ...a.ev, exporterId: 'y' } };
    expect(dedupeRecords([later, a, other]).map((r) => [r.ev.exporterId, r.producedAt])).toEqual([['x', 5], ['y', 1]]);
  });
  it('asks sameSession and conflicts once per distinct holder, not once per record: 5000 Interim-Updates of one session', () => {
    let same = 0;
    let conflicts = 0;
    const counted: IntervalRules = { ...rules, sessionKey: () => 'sid-1', conflicts: (a, b) => { conflicts++; return a.insideAddr === b.insideAddr; },
      sameSession: (a, b) => { same++; return a.insideAddr === b.insideAddr; } };
    const rs = [rec('s', 'START', 0, 'X'), ...Array.from({ length: 5000 }, (_, i) => rec(`i${i}`, 'INTERIM', 10 + i * 10, 'X'))];
    const ivs = buildIntervals(rs, counted, 60_000);
    expect(ivs.map((i) => [i.start, i.records.length])).toEqual([[0, 5001]]);
    expect(same + conflicts).toBeLessThan(100); // every record against every earlier one: 12.5M
  });
});
