import type { Kafka, Producer } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { createConsumerLoop, sendChunked } from './kafka.ts';
import type { Logger } from './logger.ts';
import { createStageMetrics } from './metrics.ts';

describe('sendChunked', () => {
  it('splits produce requests below the size limit and keeps the order within each topic', async () => {
    const calls: { topic: string; n: number[] }[][] = [];
    const producer = { sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: { value: Buffer }[] }[] }) => {
      calls.push(topicMessages.map((t) => ({ topic: t.topic, n: t.messages.map((m) => m.value.readUInt32BE(0)) })));
      return [];
    } } as unknown as Producer;
    const msg = (i: number) => { const v = Buffer.alloc(100_000); v.writeUInt32BE(i, 0); return { key: 'k', value: v }; };
    await sendChunked(producer, [{ topic: 'a', messages: [0, 1, 2, 3, 4, 5, 6].map(msg) }, { topic: 'b', messages: [7, 8].map(msg) }], 250_000);
    expect(calls.map((c) => c.map((t) => `${t.topic}:${t.n.join(',')}`).join(' '))).toEqual(['a:0,1', 'a:2,3', 'a:4,5', 'a:6 b:7', 'b:8']);
    await sendChunked(producer, [{ topic: 'a', messages: [] }]);
    expect(calls).toHaveLength(5); // nothing to send, no request
  });
});

describe('createConsumerLoop after a crash kafkajs does not restart', () => {
  it('replaces the consumer with a new one that joins the group, and stops for good on stop()', async () => {
    type Handler = (ev: { payload: Record<string, unknown> }) => void;
    const made: { handlers: Map<string, Handler>; disconnected: boolean; runs: number }[] = [];
    const kafka = {
      consumer: () => {
        const c = { handlers: new Map<string, Handler>(), disconnected: false, runs: 0 };
        made.push(c);
        return {
          events: { CRASH: 'crash', GROUP_JOIN: 'join' },
          on: (ev: string, h: Handler) => { c.handlers.set(ev, h); },
          connect: async () => undefined,
          subscribe: async () => undefined,
          run: async () => { c.runs++; c.handlers.get('join')?.({ payload: {} }); },
          disconnect: async () => { c.disconnected = true; },
        };
      },
    } as unknown as Kafka;
    const silent = { error: () => undefined, warn: () => undefined, info: () => undefined } as unknown as Logger;
    const metrics = createStageMetrics('test');
    const loop = createConsumerLoop({ kafka, groupId: 'g', topics: ['t'], handle: async () => undefined, deadLetter: async () => undefined, logger: silent, metrics, stage: 't' });
    await loop.start();
    expect(loop.running()).toBe(true);
    // e.g. a group authorization refused while a restarted broker has not loaded its ACLs yet
    made[0]!.handlers.get('crash')!({ payload: { error: new Error('Not authorized to access group'), restart: false } });
    expect(loop.running()).toBe(false);
    for (let i = 0; i < 50 && made.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(made).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 10));
    expect(made[0]!.disconnected).toBe(true);
    expect(made[1]!.runs).toBe(1);
    expect(loop.running()).toBe(true);
    // a crash kafkajs restarts itself is left to it
    made[1]!.handlers.get('crash')!({ payload: { error: new Error('Connection error'), restart: true } });
    await new Promise((r) => setTimeout(r, 700));
    expect(made).toHaveLength(2);
    await loop.stop();
    made[1]!.handlers.get('crash')!({ payload: { error: new Error('after stop'), restart: false } });
    await new Promise((r) => setTimeout(r, 700));
    expect(made).toHaveLength(2);
  });
});

/** A Kafka whose one consumer hands its eachBatch to the test (eachBatch() once run). */
function oneConsumerKafka() {
  let run: ((p: unknown) => Promise<void>) | undefined;
  const kafka = {
    consumer: () => ({
      events: { CRASH: 'crash', GROUP_JOIN: 'join' },
      on: () => undefined, connect: async () => undefined, subscribe: async () => undefined, disconnect: async () => undefined,
      run: async (o: { eachBatch: (p: unknown) => Promise<void> }) => { run = o.eachBatch; },
    }),
  } as unknown as Kafka;
  const silent = { error: () => undefined, warn: () => undefined, info: () => undefined } as unknown as Logger;
  return { kafka, silent, eachBatch: () => run! };
}

describe('createConsumerLoop on a batch larger than a chunk (kafkajs\' cycle: queueAhead false)', () => {
  it('handles and commits it chunk by chunk, heartbeating while a slow chunk runs', async () => {
    const { kafka, silent, eachBatch } = oneConsumerKafka();
    const handled: number[] = [];
    let release: () => void = () => undefined;
    const loop = createConsumerLoop({
      kafka, groupId: 'g', topics: ['t'], logger: silent, metrics: createStageMetrics('test'), stage: 't', deadLetter: async () => undefined, maxBatchRecords: 2,
      handle: async (ms) => {
        handled.push(ms.length);
        // the first chunk is slow: longer than a few heartbeat intervals
        if (handled.length === 1) await new Promise<void>((r) => { release = r; });
      },
      commitIntervalMs: 0, // every chunk's commit as it comes (the interval has a test of its own)
      queueAhead: false,
    });
    await loop.start();
    const events: string[] = [];
    const messages = [0, 1, 2, 3, 4].map((i) => ({ offset: String(10 + i), key: null, value: Buffer.from('x'), headers: {}, timestamp: '0' }));
    vi.useFakeTimers();
    try {
      const done = eachBatch()({
        batch: { topic: 't', partition: 0, messages, highWatermark: '15', firstOffset: () => '10', lastOffset: () => '14' },
        resolveOffset: (o: string) => { events.push(`resolve ${o}`); },
        heartbeat: async () => { events.push('heartbeat'); },
        commitOffsetsIfNecessary: async (o?: { topics: { partitions: { offset: string }[] }[] }) => { events.push(`commit ${o ? o.topics[0]!.partitions[0]!.offset : 'resolved'}`); },
        isStale: () => false,
      });
      await vi.advanceTimersByTimeAsync(10_000);
      // the slow chunk is still running: the member kept its place in the group meanwhile
      expect(events.filter((e) => e === 'heartbeat').length).toBeGreaterThanOrEqual(3);
      expect(events.some((e) => e.startsWith('commit'))).toBe(false);
      release();
      await vi.advanceTimersByTimeAsync(10);
      await done;
    } finally {
      vi.useRealTimers();
    }
    expect(handled).toEqual([2, 2, 1]);
    expect(events.filter((e) => !e.startsWith('heartbeat'))).toEqual(['resolve 11', 'commit 12', 'resolve 13', 'commit 14', 'resolve 14', 'commit 15']);
    await loop.stop();
  });
});

describe('createConsumerLoop commits off the records\' path (kafkajs\' cycle: queueAhead false)', () => {
  it('handles the next chunk while a commit is in flight, commits only what is handled, and a stopping batch waits for its commit', async () => {
    const { kafka, silent, eachBatch } = oneConsumerKafka();
    const events: string[] = [];
    const releases: (() => void)[] = [];
    const loop = createConsumerLoop({
      kafka, groupId: 'g', topics: ['t'], logger: silent, metrics: createStageMetrics('test'), stage: 't', deadLetter: async () => undefined, maxBatchRecords: 2,
      handle: async (ms) => { events.push(`handle ${ms.map((m) => m.offset).join(',')}`); }, commitIntervalMs: 0, // back to back
      queueAhead: false,
    });
    await loop.start();
    const payload = (first: number, n: number) => ({
      batch: { topic: 't', partition: 0, messages: Array.from({ length: n }, (_, i) => ({ offset: String(first + i), key: null, value: Buffer.from('x'), headers: {}, timestamp: '0' })),
        highWatermark: String(first + n), firstOffset: () => String(first), lastOffset: () => String(first + n - 1) },
      resolveOffset: () => undefined, heartbeat: async () => undefined, isStale: () => false,
      // a broker that does not answer the commit until the test says so
      commitOffsetsIfNecessary: (o: { topics: { partitions: { offset: string }[] }[] }) => {
        events.push(`commit ${o.topics[0]!.partitions[0]!.offset}`);
        return new Promise<void>((r) => { releases.push(r); });
      },
    });
    await eachBatch()(payload(10, 4)); // returns with its commits unanswered
    expect(events).toEqual(['handle 10,11', 'commit 12', 'handle 12,13']);
    releases.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(events.at(-1)).toBe('commit 14'); // the second chunk's, once the first request is answered
    // stopping: the batch returns only once its commit is answered (the member leaves after it)
    const stop = loop.stop();
    let returned = false;
    const done = eachBatch()(payload(14, 4)).then(() => { returned = true; });
    await new Promise((r) => setTimeout(r, 10));
    expect(events.slice(-1)).toEqual(['handle 14,15']); // chunk 2 is left for the next owner
    expect(returned).toBe(false);
    releases.shift()!(); // commit 14 answered: commit 16 goes
    await new Promise((r) => setTimeout(r, 0));
    expect(events.at(-1)).toBe('commit 16');
    expect(returned).toBe(false);
    releases.shift()!();
    await done;
    await stop;
    expect(returned).toBe(true);
  });
});

describe('createConsumerLoop health on a chunked batch', () => {
  it('a handler hung in a later chunk of a batch stalls its partition while other partitions progress', async () => {
    const { kafka, silent, eachBatch } = oneConsumerKafka();
    let p0Chunks = 0;
    vi.useFakeTimers(); // before the loop: its health reads the clock it was made with
    const loop = createConsumerLoop({
      kafka, groupId: 'g', topics: ['t'], logger: silent, metrics: createStageMetrics('test'), stage: 't', deadLetter: async () => undefined,
      maxBatchRecords: 2, stallAfterMs: 30_000,
      handle: async (_ms, _topic, partition) => {
        if (partition === 0 && ++p0Chunks === 2) await new Promise<void>(() => undefined); // hangs for good
      },
    });
    try {
      await loop.start();
      const batchOf = (partition: number, first: number, n: number) => {
        const messages = Array.from({ length: n }, (_, i) => ({ offset: String(first + i), key: null, value: Buffer.from('x'), headers: {}, timestamp: '0' }));
        return {
          batch: { topic: 't', partition, messages, highWatermark: String(first + n + 100), firstOffset: () => String(first), lastOffset: () => String(first + n - 1) },
          resolveOffset: () => undefined, heartbeat: async () => undefined, commitOffsetsIfNecessary: async () => undefined, isStale: () => false,
        };
      };
      void eachBatch()(batchOf(0, 0, 6)); // chunk 1 goes through, chunk 2 never returns
      await vi.advanceTimersByTimeAsync(10);
      expect(p0Chunks).toBe(2);
      for (let k = 0; k < 5; k++) { // partition 1 keeps moving: the stage as a whole is not stuck
        await vi.advanceTimersByTimeAsync(10_000);
        await eachBatch()(batchOf(1, k * 10, 2));
      }
      expect(loop.stalled().map((s) => `${s.topic}/${s.partition}`)).toEqual(['t/0']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('createConsumerLoop on a refused commit', () => {
  it('commits it later though the partition gets no more records, and logs the refusal', async () => {
    const { kafka, eachBatch } = oneConsumerKafka();
    const warned: string[] = [];
    const logger = { error: () => undefined, info: () => undefined, warn: (_o: unknown, msg: string) => { warned.push(msg); } } as unknown as Logger;
    vi.useFakeTimers();
    try {
      const loop = createConsumerLoop({ kafka, groupId: 'g', topics: ['t'], logger, metrics: createStageMetrics('test'), stage: 't', deadLetter: async () => undefined, handle: async () => undefined });
      await loop.start();
      const commits: string[] = [];
      await eachBatch()({
        batch: { topic: 't', partition: 3, messages: [{ offset: '41', key: null, value: Buffer.from('x'), headers: {}, timestamp: '0' }],
          highWatermark: '42', firstOffset: () => '41', lastOffset: () => '41' },
        resolveOffset: () => undefined, heartbeat: async () => undefined, isStale: () => false,
        commitOffsetsIfNecessary: async (o: { topics: { partitions: { partition: number; offset: string }[] }[] }) => {
          commits.push(`${o.topics[0]!.partitions[0]!.partition}@${o.topics[0]!.partitions[0]!.offset}`);
          if (commits.length === 1) throw new Error('The coordinator is not available');
        },
      });
      await vi.advanceTimersByTimeAsync(0);
      expect(commits).toEqual(['3@42']);
      await vi.advanceTimersByTimeAsync(5_000); // the partition stays quiet
      expect(commits).toEqual(['3@42', '3@42']);
      expect(warned).toEqual([expect.stringMatching(/^offset commit failed; sent again after the wait/)]);
      await loop.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

/** A Kafka whose one consumer hands its eachBatch and its event handlers to the test. */
function queuedConsumerKafka() {
  let run: ((p: unknown) => Promise<void>) | undefined;
  const handlers = new Map<string, (ev: { payload: Record<string, unknown> }) => void>();
  const seeks: string[] = [];
  const kafka = {
    consumer: () => ({
      events: { CRASH: 'crash', GROUP_JOIN: 'join', REBALANCING: 'rebalancing' },
      on: (ev: string, h: (ev: { payload: Record<string, unknown> }) => void) => { handlers.set(ev, h); },
      connect: async () => undefined, subscribe: async () => undefined, disconnect: async () => undefined,
      seek: (o: { topic: string; partition: number; offset: string }) => { seeks.push(`${o.topic}/${o.partition}@${o.offset}`); },
      run: async (o: { eachBatch: (p: unknown) => Promise<void> }) => { run = o.eachBatch; },
    }),
  } as unknown as Kafka;
  const silent = { error: () => undefined, warn: () => undefined, info: () => undefined } as unknown as Logger;
  const emit = (ev: string) => handlers.get(ev)!({ payload: {} });
  return { kafka, silent, seeks, emit, eachBatch: (p: unknown) => run!(p) };
}

/** An eachBatch payload of `n` records of partition `partition` from offset `first`, logging
 *  what kafkajs is asked (resolve, pause/resume, commit) into `events`. */
function queuedPayload(events: string[], partition: number, first: number, n: number) {
  return {
    batch: { topic: 't', partition, messages: Array.from({ length: n }, (_, i) => ({ offset: String(first + i), key: null, value: Buffer.from('x'), headers: {}, timestamp: '0' })),
      highWatermark: String(first + n), firstOffset: () => String(first), lastOffset: () => String(first + n - 1) },
    resolveOffset: (o: string) => { events.push(`resolve ${partition}:${o}`); },
    heartbeat: async () => { events.push('heartbeat'); },
    isStale: () => false,
    pause: () => { events.push(`pause ${partition}`); return () => { events.push(`resume ${partition}`); }; },
    commitOffsetsIfNecessary: async (o: { topics: { partitions: { partition: number; offset: string }[] }[] }) => {
      events.push(`commit ${o.topics[0]!.partitions.map((p) => `${p.partition}:${p.offset}`).join(' ')}`);
    },
  };
}

describe('createConsumerLoop with queueAhead (opt-in)', () => {
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('returns from eachBatch before the batch is handled, so the next fetch goes; handles what a partition\'s fetches bring meanwhile as one batch, in order, pausing the partition once maxBatchRecords wait', async () => {
    const { kafka, silent, eachBatch } = queuedConsumerKafka();
    const events: string[] = [];
    const gates = new Map<string, () => void>();
    const loop = createConsumerLoop({
      kafka, queueAhead: true, groupId: 'g', topics: ['t'], logger: silent, metrics: createStageMetrics('test'), stage: 't', deadLetter: async () => undefined, commitIntervalMs: 0, maxBatchRecords: 3,
      handle: async (ms, _t, p) => {
        const id = `${p}:${ms[0]!.offset}`;
        events.push(`handle ${id}x${ms.length}`);
        await new Promise<void>((r) => { gates.set(id, r); });
      },
    });
    await loop.start();
    await eachBatch(queuedPayload(events, 0, 10, 2)); // returns while partition 0's batch is being handled
    await eachBatch(queuedPayload(events, 1, 50, 1));
    await eachBatch(queuedPayload(events, 0, 12, 2)); // the next fetch's: waits behind 0:10
    await eachBatch(queuedPayload(events, 0, 14, 2)); // joins it: 4 records wait, partition 0 paused
    expect(events).toEqual(['handle 0:10x2', 'resolve 0:11', 'handle 1:50x1', 'resolve 1:50', 'resolve 0:13', 'pause 0', 'resolve 0:15']);
    expect(events.some((e) => e.startsWith('heartbeat'))).toBe(false); // kafkajs' fetch loop heartbeats: no batch holds it
    gates.get('1:50')!();
    await tick();
    expect(events.at(-1)).toBe('commit 1:51');
    gates.get('0:10')!();
    await tick();
    expect(events.slice(8)).toEqual(['commit 0:12', 'resume 0', 'handle 0:12x3']);
    gates.get('0:12')!();
    await tick();
    expect(events.slice(11)).toEqual(['commit 0:15', 'handle 0:15x1']);
    gates.get('0:15')!();
    await tick();
    expect(events.at(-1)).toBe('commit 0:16');
    await loop.stop();
  });

  it('a rebalance drops the batches not started and resumes their partitions; a batch handled after the member joined a new generation commits nothing', async () => {
    const { kafka, silent, eachBatch, emit } = queuedConsumerKafka();
    const events: string[] = [];
    let release: () => void = () => undefined;
    const loop = createConsumerLoop({
      kafka, queueAhead: true, groupId: 'g', topics: ['t'], logger: silent, metrics: createStageMetrics('test'), stage: 't', deadLetter: async () => undefined, commitIntervalMs: 0, maxBatchRecords: 2,
      handle: async (ms) => {
        events.push(`handle ${ms[0]!.offset}`);
        if (++calls === 1) await new Promise<void>((r) => { release = r; });
      },
    });
    let calls = 0;
    await loop.start();
    emit('join');
    await eachBatch(queuedPayload(events, 0, 10, 2));
    await eachBatch(queuedPayload(events, 0, 12, 2));
    emit('rebalancing');
    emit('join'); // the new generation: partition 0 is still ours, read again from its committed offset
    await eachBatch(queuedPayload(events, 0, 10, 4));
    release();
    await tick();
    await tick();
    // 0:10 (old generation) handled but not committed; 0:12 dropped; the re-read batch handled and committed
    expect(events).toEqual(['handle 10', 'resolve 0:11', 'pause 0', 'resolve 0:13', 'resume 0', 'pause 0', 'resolve 0:13', 'resume 0', 'handle 10', 'commit 0:12', 'handle 12', 'commit 0:14']);
    await loop.stop();
  });

  it('stop() lets the batch being handled end, drops what waits, sends the commits, and only then leaves', async () => {
    const { kafka, silent, eachBatch } = queuedConsumerKafka();
    const events: string[] = [];
    let release: () => void = () => undefined;
    const loop = createConsumerLoop({
      kafka, queueAhead: true, groupId: 'g', topics: ['t'], logger: silent, metrics: createStageMetrics('test'), stage: 't', deadLetter: async () => undefined, maxBatchRecords: 2,
      handle: async (ms) => {
        events.push(`handle ${ms[0]!.offset}`);
        if (ms[0]!.offset === '10') await new Promise<void>((r) => { release = r; });
      },
    });
    await loop.start();
    await eachBatch(queuedPayload(events, 0, 10, 4));
    await eachBatch(queuedPayload(events, 0, 14, 2));
    let stopped = false;
    const stop = loop.stop().then(() => { stopped = true; });
    await eachBatch(queuedPayload(events, 1, 0, 2)); // fetched while stopping: not handled, not resolved
    await tick();
    expect(stopped).toBe(false);
    release();
    await stop;
    // the first chunk ends and is committed; its batch's second chunk and the waiting batch are left
    expect(events).toEqual(['handle 10', 'resolve 0:13', 'pause 0', 'resolve 0:15', 'resume 0', 'commit 0:12']);
  });

  it('a batch whose dead letter cannot be written rewinds its partition to its first record not handled', async () => {
    const { kafka, silent, eachBatch, seeks } = queuedConsumerKafka();
    const events: string[] = [];
    const loop = createConsumerLoop({
      kafka, queueAhead: true, groupId: 'g', topics: ['t'], logger: silent, metrics: createStageMetrics('test'), stage: 't', maxBatchRecords: 2, commitIntervalMs: 0,
      handle: async (ms) => { events.push(`handle ${ms.map((m) => m.offset).join(',')}`); if (ms.some((m) => m.offset === '13')) throw new Error('bad record'); },
      deadLetter: async () => { throw new Error('the dead-letter sink is broken'); },
    });
    await loop.start();
    await eachBatch(queuedPayload(events, 0, 10, 4));
    await eachBatch(queuedPayload(events, 0, 14, 2)); // waits; dropped by the failure
    for (let i = 0; i < 20 && seeks.length === 0; i++) await tick();
    expect(seeks).toEqual(['t/0@12']);
    expect(events).toEqual(['handle 10,11', 'resolve 0:13', 'pause 0', 'resolve 0:15', 'commit 0:12', 'handle 12,13', 'handle 12', 'handle 13']);
    await loop.stop(); // does not wait out the failure's backoff
  });
});
