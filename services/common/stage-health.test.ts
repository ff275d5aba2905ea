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

  // session 5: ingest read 12 partitions with a fetch of up to 1 MiB each, two at a time
  // (kafkajs' partitionsConsumedConcurrently); a partition waiting for its next batch went 30 s
  // without a commit while the stage committed on the others, and /healthz said stalled
  it('a partition waiting for its turn while the stage progresses on others is busy, not stalled', () => {
    let t = 0;
    const h = createStageHealth({ stallAfterMs: 30_000, now: () => t });
    for (let p = 0; p < 12; p++) h.progressed('flows.raw', p, 20_000); // every partition has a backlog
    for (t = 5_000; t <= 120_000; t += 5_000) {
      const p = 1 + ((t / 5_000) % 11); // partitions 1..11 take turns; 0 waits the whole time
      h.batchStarted('flows.raw', p, 20_000);
      h.progressed('flows.raw', p, 19_000);
      expect(h.stalled()).toEqual([]);
    }
  });

  it('a hung handler holding a partition is stalled while the stage progresses on others', () => {
    let t = 0;
    const h = createStageHealth({ stallAfterMs: 30_000, now: () => t });
    h.batchStarted('flows.raw', 0, 3_000); // never returns
    for (t = 5_000; t <= 60_000; t += 5_000) {
      h.batchStarted('flows.raw', 1, 3_000);
      h.progressed('flows.raw', 1, 2_000);
      const stalled = h.stalled().map((s) => s.partition);
      expect(stalled).toEqual(t > 30_000 ? [0] : []);
    }
  });

  it('a handler hung in a later chunk of its batch: the stage stops as a whole, and every partition with lag is stalled', () => {
    let t = 0;
    const h = createStageHealth({ stallAfterMs: 30_000, now: () => t });
    h.batchStarted('flows.raw', 0, 5_000);
    h.progressed('flows.raw', 0, 4_000); // its first chunk; the second hangs
    h.progressed('flows.raw', 2, 7_000); // waits for the next fetch, which the hung batch holds back
    t = 10_000;
    h.batchStarted('flows.raw', 1, 500);
    h.progressed('flows.raw', 1, 0); // the other worker finished the fetch's last batch
    t = 39_000;
    expect(h.stalled()).toEqual([]); // the stage progressed 29 s ago
    t = 41_000;
    expect(h.stalled().map((s) => s.partition).sort()).toEqual([0, 2]);
  });

  it('a new assignment starts the clock of the stage again', () => {
    let t = 0;
    const h = createStageHealth({ stallAfterMs: 30_000, now: () => t });
    t = 100_000;
    h.reset();
    h.progressed('flows.raw', 3, 800);
    t = 120_000;
    h.batchStarted('flows.raw', 4, 900);
    h.progressed('flows.raw', 4, 100);
    t = 135_000;
    expect(h.stalled()).toEqual([]);
    t = 151_000; // partition 3 waits, nothing of the stage moved for 31 s
    expect(h.stalled().map((s) => s.partition).sort()).toEqual([3, 4]);
  });
});
