// A session's STOP arriving minutes after the observation ends the session after the fact: the
// new hop version (inactive, one more evidence record) must not weaken a terminated chain.
import { describe, expect, it } from 'vitest';
import { applyHops, stallCheck } from './chain.ts';
import { DEFAULT_CHAIN_OPTIONS } from './chain-status.ts';
import { ALL, H, T, dir, runHops } from './four-jurisdictions.fixture.ts';

const MIN = 60_000;
const stopped = (h: typeof H.vpn) => ({ ...h, active: false, lastSeen: T + 5 * MIN, evidenceEventIds: [...h.evidenceEventIds, `${h.hopId}-stop`], decisiveAt: T + 5 * MIN + 500 });

describe('a STOP after the observation', () => {
  for (const which of ['vpn', 'us', 'pb'] as const) {
    it(`keeps the chain TERMINATED_AT_SUBSCRIBER when the ${which} session stops`, () => {
      const { state } = runHops(ALL);
      const t = stallCheck(state, T + 2000 + DEFAULT_CHAIN_OPTIONS.relayGraceMs, dir);
      expect(t.state.status).toBe('TERMINATED_AT_SUBSCRIBER');
      const after = applyHops(t.state, [stopped(H[which])], T + 5 * MIN + 600, dir);
      expect(after.update).toMatchObject({ status: 'TERMINATED_AT_SUBSCRIBER' });
      const hop = after.update!.hops.find((h) => h.hopId === H[which].hopId)!;
      expect([hop.confidence, hop.rank, hop.active]).toEqual([H[which].confidence, 1, false]);
      expect(stallCheck(after.state, T + 30 * MIN, dir).state.status).toBe('TERMINATED_AT_SUBSCRIBER');
    });
  }
});
