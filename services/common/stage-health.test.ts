import { describe, expect, it } from 'vitest';
import { createStageHealth } from './stage-health.ts';

describe('stage health', () => {
  it('a partition with lag and no progress for longer than stallAfterMs is stalled; progress or an idle partition is not', () => {
    let t = 0;
    const h = createStageHealth({ stallAfterMs: 30_000, now: () => t });
    h.batchStarted('flows.norm', 0, 500);
    h.progressed('flows.norm', 1, 0);
    t = 29_000;
    expect(h.stalled()).toEqual([]);
    h.failed('flows.norm', 0, 'CT_DEPENDENCY_DOWN');
    t = 31_000;
    expect(h.stalled()).toEqual([{ topic: 'flows.norm', partition: 0, lag: 500, stuckForMs: 31_000, lastError: 'CT_DEPENDENCY_DOWN' }]);
    h.progressed('flows.norm', 0, 10);
    expect(h.stalled()).toEqual([]);
    t = 100_000; // idle partitions (lag 0) never stall; partition 0 still has 10 waiting
    expect(h.stalled().map((s) => s.partition)).toEqual([0]);
    h.progressed('flows.norm', 0, 0);
    t = 200_000;
    h.batchStarted('flows.norm', 0, 3); // was idle: the clock starts at the new batch
    expect(h.stalled()).toEqual([]);
  });
});
