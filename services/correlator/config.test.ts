import { describe, expect, it } from 'vitest';
import { FLUSH_EVENTS, REPLAY_FETCH_BYTES, replayFetch } from '../join/state-rebuild.ts';
import { correlatorConfig } from './config.ts';

describe('correlator config: the window rebuild\'s memory (issue 14, peak RSS)', () => {
  it('replays with 2 MiB fetches (256 KiB per partition) and 10k-event batches unless told otherwise', () => {
    const c = correlatorConfig.parse({});
    expect([c.CROSSTRACE_CORRELATOR_REBUILD_FETCH_BYTES, c.CROSSTRACE_CORRELATOR_REBUILD_BATCH_EVENTS]).toEqual([REPLAY_FETCH_BYTES, FLUSH_EVENTS]);
    expect(replayFetch(c.CROSSTRACE_CORRELATOR_REBUILD_FETCH_BYTES)).toEqual({ maxBytes: 2_097_152, maxBytesPerPartition: 262_144 });
    expect(FLUSH_EVENTS).toBe(10_000);
  });
  it('refuses a rebuild fetch or batch out of bounds by its key name', () => {
    expect(() => correlatorConfig.parse({ CROSSTRACE_CORRELATOR_REBUILD_FETCH_BYTES: '1000' })).toThrow(/CROSSTRACE_CORRELATOR_REBUILD_FETCH_BYTES="1000": must be between/);
    expect(() => correlatorConfig.parse({ CROSSTRACE_CORRELATOR_REBUILD_BATCH_EVENTS: '10' })).toThrow(/CROSSTRACE_CORRELATOR_REBUILD_BATCH_EVENTS="10"/);
  });
});
