import { describe, expect, it } from 'vitest';
import { hopId } from './hop-id.ts';

describe('hopId', () => {
  it('is 24 hex chars, stable across evidence order, and pinned (a change breaks replays)', () => {
    const a = hopId('t1', null, 'NAT_LOG', ['e2', 'e1']);
    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(hopId('t1', null, 'NAT_LOG', ['e1', 'e2'])).toBe(a);
    expect(a).toBe('dbe5ee6d97ebfa3b42d195b3');
  });
  it('differs by trace, parent, method and evidence; fields cannot run into each other', () => {
    const base = hopId('t1', 'p', 'NAT_LOG', ['e1']);
    expect(new Set([
      base, hopId('t2', 'p', 'NAT_LOG', ['e1']), hopId('t1', null, 'NAT_LOG', ['e1']), hopId('t1', 'p', 'PORT_BLOCK', ['e1']),
      hopId('t1', 'p', 'NAT_LOG', ['e1', 'e2']), hopId('t1', 'p', 'NAT_LOG', ['e1e2']), hopId('t1', 'p', 'NAT_LOG', []),
    ]).size).toBe(7);
    expect(hopId('a', 'b', 'NAT_LOG', ['c'])).not.toBe(hopId('a,b', null, 'NAT_LOG', ['c']));
  });
  it('does not sort the caller array in place', () => {
    const ev = ['b', 'a'];
    hopId('t', null, 'NAT_LOG', ev);
    expect(ev).toEqual(['b', 'a']);
  });
});
