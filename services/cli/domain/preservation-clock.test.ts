import { describe, expect, it } from 'vitest';
import { orderClockLine } from './preservation-clock.ts';

const NOW = Date.UTC(2026, 11, 1, 12);
const DAY = 86_400_000;

describe('orderClockLine', () => {
  it('shows the time left on an open order', () => {
    const line = orderClockLine({ traceId: 't1', expiresAt: NOW + 89 * DAY + 3 * 3_600_000, releasedAt: null, preserved: { flows: 12, sessions: 5 } }, NOW);
    expect(line).toContain('5 session and 12 flow records kept until 2027-02-28T15:00:00.000Z (89d03h left');
  });
  it('says when an order expired or was released', () => {
    expect(orderClockLine({ traceId: 't1', expiresAt: NOW - 2 * DAY, releasedAt: null }, NOW)).toMatch(/EXPIRED 2d00h ago/);
    expect(orderClockLine({ traceId: 't1', expiresAt: NOW + DAY, releasedAt: NOW - 60_000 }, NOW)).toMatch(/released 1m00s ago/);
  });
});
