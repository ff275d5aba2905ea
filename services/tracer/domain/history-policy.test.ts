import { describe, expect, it } from 'vitest';
import { archiveRechecks, hopSource, wantsArchive } from './history-policy.ts';

const NOW = 1_800_000_000_000;
const DAY = 86_400_000;

describe('history policy', () => {
  it('asks the archive for windows older than the live retention, or when the live windows found nothing', () => {
    expect(wantsArchive({ windowFrom: NOW - 10 * DAY }, 3, NOW, DAY)).toBe(true);
    expect(wantsArchive({ windowFrom: NOW - 60_000 }, 0, NOW, DAY)).toBe(true);
    expect(wantsArchive({ windowFrom: NOW - 60_000 }, 1, NOW, DAY)).toBe(false);
  });
  it('credits a hop to the archive only when the live records alone do not yield it', () => {
    expect(hopSource('h1', new Set(['h1']))).toBe('LIVE');
    expect(hopSource('h2', new Set(['h1']))).toBe('ARCHIVE');
  });
  it('re-reads only open ends older than the live windows, at most once per period', () => {
    const old = { lookupId: 'old', windowFrom: NOW - 10 * DAY };
    const recent = { lookupId: 'recent', windowFrom: NOW - 60_000 };
    expect(archiveRechecks([old, recent], NOW, DAY, 5000, new Map())).toEqual([old]);
    expect(archiveRechecks([old], NOW, DAY, 5000, new Map([['old', NOW - 1000]]))).toEqual([]);
    expect(archiveRechecks([old], NOW, DAY, 5000, new Map([['old', NOW - 5000]]))).toEqual([old]);
  });
});
