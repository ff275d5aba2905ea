import { describe, expect, it } from 'vitest';
import type { ConsumedMessage } from '../common/kafka.ts';
import { indexRequestOf } from './index-request.ts';
import { decodeStored } from './window-store.ts';

const msg = (over: Partial<ConsumedMessage> = {}): ConsumedMessage => ({
  topic: 'flows.norm', partition: 0, offset: '7', key: Buffer.from('fr-cgn|100.64.3.4'), value: Buffer.from([0, 0, 0, 0, 1, 2, 3]),
  headers: { 'ct-uid': 'fr-flow-1/e1', 'ct-time': '1700000000000', 'ct-origin-ts': '1700000000500', 'ct-dir': 'in' }, timestamp: 1700000001000, ...over,
});

describe('the window write of a normalised record (correlator, window rebuild)', () => {
  it('builds the window write from the routing headers ingest sets', () => {
    const r = indexRequestOf(msg());
    expect(r.key).toBe('fr-cgn|100.64.3.4');
    expect(r.uid).toBe('fr-flow-1/e1:flow-in');
    expect(r.time).toBe(1700000000000);
    const s = decodeStored(r.payload);
    expect(s).toEqual({ kind: 'flow-in', producedAt: 1700000000500, value: Buffer.from([0, 0, 0, 0, 1, 2, 3]) });
  });
  it('keys sessions by uid alone and falls back to the message timestamp for the origin', () => {
    const r = indexRequestOf(msg({ topic: 'sessions.norm', headers: { 'ct-uid': 'fr-cgn-1/s1', 'ct-time': '5' } }));
    expect(r.uid).toBe('fr-cgn-1/s1');
    expect(decodeStored(r.payload)).toMatchObject({ kind: 'session', producedAt: 1700000001000 });
  });
  it('rejects messages without key, value or routing headers with stable codes', () => {
    expect(() => indexRequestOf(msg({ key: null }))).toThrow(expect.objectContaining({ code: 'CT_MISSING_FIELD' }));
    expect(() => indexRequestOf(msg({ value: null }))).toThrow(expect.objectContaining({ code: 'CT_EMPTY_VALUE' }));
    expect(() => indexRequestOf(msg({ headers: { 'ct-time': '1' } }))).toThrow(/ct-uid/);
    expect(() => indexRequestOf(msg({ headers: { 'ct-uid': 'a', 'ct-time': '1', 'ct-dir': 'sideways' } }))).toThrow(/ct-dir/);
  });
  it('refuses times with no date form as permanent (the archive would fail the whole batch on them, as if PostgreSQL were down)', () => {
    for (const t of ['1e17', '-5', '1.5', '1e400']) {
      expect(() => indexRequestOf(msg({ headers: { 'ct-uid': 'a', 'ct-time': t, 'ct-dir': 'in' } }))).toThrow(expect.objectContaining({ code: t === '1e400' ? 'CT_MISSING_FIELD' : 'CT_IMPOSSIBLE_TIME', retriable: false }));
    }
    for (const o of ['1e400', '-1', 'x']) {
      expect(() => indexRequestOf(msg({ headers: { 'ct-uid': 'a', 'ct-time': '1', 'ct-origin-ts': o, 'ct-dir': 'in' } }))).toThrow(expect.objectContaining({ code: 'CT_IMPOSSIBLE_TIME' }));
    }
    expect(indexRequestOf(msg({ headers: { 'ct-uid': 'a', 'ct-time': '253402300799999', 'ct-dir': 'in' } })).time).toBe(253402300799999);
  });
});
