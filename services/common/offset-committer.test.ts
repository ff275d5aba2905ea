import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCommitter, type CommitOffsets } from './offset-committer.ts';

describe('createCommitter', () => {
  type Offsets = Parameters<CommitOffsets>[0];
  const flat = (o: Offsets) => o.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p.partition}@${p.offset}`)).sort().join(' ');

  it('sends one request at a time; what comes in meanwhile goes out together in the next, highest offset per partition', async () => {
    const sent: string[] = [];
    let release: () => void = () => undefined;
    const via = (o: Offsets) => { sent.push(flat(o)); return new Promise<void>((r) => { release = r; }); };
    const c = createCommitter();
    const settled: string[] = [];
    const first = c.commit('a', 0, '10', via).then(() => settled.push('a0@10'));
    const second = c.commit('a', 1, '5', via).then(() => settled.push('a1@5'));
    const third = c.commit('a', 1, '7', via).then(() => settled.push('a1@7'));
    const fourth = c.commit('b', 0, '3', via).then(() => settled.push('b0@3'));
    c.commit('a', 1, '6', via).catch(() => undefined); // lower than one pending: the higher stays
    await Promise.resolve();
    expect(sent).toEqual(['a/0@10']);
    expect(settled).toEqual([]); // nothing settles before its own request is answered
    release();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['a/0@10', 'a/1@7 b/0@3']);
    expect(settled).toEqual(['a0@10']);
    release();
    await Promise.all([second, third, fourth]);
    expect(settled.sort()).toEqual(['a0@10', 'a1@5', 'a1@7', 'b0@3']);
    expect(sent).toHaveLength(2);
  });

  it('rejects the callers of a failed request only, and carries on with the next', async () => {
    let fail = true;
    const sent: string[] = [];
    const via = async (o: Offsets) => { sent.push(flat(o)); await Promise.resolve(); if (fail) { fail = false; throw new Error('REBALANCE_IN_PROGRESS'); } };
    const c = createCommitter();
    const a = c.commit('a', 0, '1', via);
    const b = c.commit('a', 0, '2', via);
    await expect(a).rejects.toThrow('REBALANCE_IN_PROGRESS');
    await expect(b).resolves.toBeUndefined();
    expect(sent).toEqual(['a/0@1', 'a/0@2']);
  });

  it('drops what is not yet sent when the member joins a new generation: an old chunk\'s offset never goes out after it', async () => {
    const sent: string[] = [];
    let release: () => void = () => undefined;
    const via = (o: Offsets) => { sent.push(flat(o)); return new Promise<void>((r) => { release = r; }); };
    const c = createCommitter();
    const inFlight = c.commit('a', 0, '10', via);
    const queued = c.commit('a', 0, '1200', via);
    await Promise.resolve();
    c.discard(); // GROUP_JOIN: the partition may be someone else's now
    await expect(queued).rejects.toThrow('new generation');
    release();
    await inFlight;
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['a/0@10']); // 1200 never sent
    // the committer goes on with the new generation's offsets
    const next = c.commit('a', 0, '1300', via);
    await Promise.resolve();
    release();
    await next;
    expect(sent).toEqual(['a/0@10', 'a/0@1300']);
  });
});

describe('createCommitter retries a failed request', () => {
  type Offsets = Parameters<CommitOffsets>[0];
  const flat = (o: Offsets) => o.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p.partition}@${p.offset}`)).sort().join(' ');
  /** A coordinator that refuses the first `failures` requests. */
  const refusing = (failures: number) => {
    const sent: string[] = [];
    const via: CommitOffsets = async (o) => { sent.push(flat(o)); if (sent.length <= failures) throw new Error('NOT_COORDINATOR'); };
    return { sent, via };
  };
  afterEach(() => { vi.useRealTimers(); });

  it('sends it again after a backoff though its partition commits nothing more (a quiet partition), and says so', async () => {
    vi.useFakeTimers();
    const { sent, via } = refusing(1);
    const failed: [number, string[]][] = [];
    const c = createCommitter({ onFailed: (_e, ms, offsets) => failed.push([ms, offsets]) });
    await expect(c.commit('a', 0, '10', via)).rejects.toThrow('NOT_COORDINATOR');
    await vi.advanceTimersByTimeAsync(199);
    expect(sent).toEqual(['a/0@10']);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual(['a/0@10', 'a/0@10']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toHaveLength(2); // committed: nothing more
    expect(failed).toEqual([[200, ['a/0@10']]]);
  });

  it('backs off doubling while refused; what the partitions commit meanwhile waits for the retry and supersedes it, never lowered', async () => {
    vi.useFakeTimers();
    const { sent, via } = refusing(2);
    const waits: number[] = [];
    const c = createCommitter({ onFailed: (_e, ms) => waits.push(ms) });
    c.commit('a', 0, '10', via).catch(() => undefined);
    c.commit('b', 0, '3', via).catch(() => undefined); // queued behind the first request
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['a/0@10']);
    await vi.advanceTimersByTimeAsync(50); // in the backoff: the partition moves on
    const later = c.commit('a', 0, '12', via).then(() => 'committed', (e: Error) => e.message);
    await vi.advanceTimersByTimeAsync(149);
    expect(sent).toEqual(['a/0@10']); // a new commit does not cut the backoff short
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual(['a/0@10', 'a/0@12 b/0@3']); // refused again: waits twice as long
    await vi.advanceTimersByTimeAsync(399);
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual(['a/0@10', 'a/0@12 b/0@3', 'a/0@12 b/0@3']);
    expect(await later).toBe('NOT_COORDINATOR'); // its own request failed; the retry carried it without it
    expect(waits).toEqual([200, 400]);
    // answered: the next failure starts from the first wait again
    const { via: once } = refusing(1);
    c.commit('a', 0, '13', once).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(waits).toEqual([200, 400, 200]);
  });

  it('drops a retry when the member joins a new generation', async () => {
    vi.useFakeTimers();
    const { sent, via } = refusing(1);
    const c = createCommitter();
    await c.commit('a', 0, '10', via).catch(() => undefined);
    c.discard();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toEqual(['a/0@10']);
  });

  it('never retries a request that was in flight when the member joined a new generation', async () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    let refuse: (e: Error) => void = () => undefined;
    const via: CommitOffsets = (o) => { sent.push(flat(o)); return new Promise<void>((_r, reject) => { refuse = reject; }); };
    const c = createCommitter();
    const inFlight = c.commit('a', 0, '10', via).catch(() => undefined);
    c.discard(); // GROUP_JOIN while the old generation's request is on the wire
    refuse(new Error('ILLEGAL_GENERATION'));
    await inFlight;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toEqual(['a/0@10']); // never sent with the new generation id
  });

  it('on close, sends a request waiting for its retry at once, once, and resolves when it is answered', async () => {
    vi.useFakeTimers();
    const { sent, via } = refusing(100);
    const c = createCommitter();
    await c.commit('a', 0, '10', via).catch(() => undefined);
    let closed = false;
    const done = c.close().then(() => { closed = true; });
    expect(sent).toEqual(['a/0@10', 'a/0@10']); // not after the backoff
    await done;
    expect(closed).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toHaveLength(2); // leaving: refused again, not retried
  });
});

describe('createCommitter with an interval', () => {
  type Offsets = Parameters<CommitOffsets>[0];
  const flat = (o: Offsets) => o.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p.partition}@${p.offset}`)).sort().join(' ');

  it('with an interval: the first commit goes at once, the next no sooner than the interval after it; close() sends at once', async () => {
    const sent: { at: number; offsets: string }[] = [];
    const via = async (o: Offsets) => { sent.push({ at: Date.now(), offsets: flat(o) }); };
    const c = createCommitter({ intervalMs: 200 });
    const t0 = Date.now();
    await c.commit('a', 0, '1', via);
    const second = c.commit('a', 0, '2', via);
    c.commit('a', 1, '7', via).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent.map((x) => x.offsets)).toEqual(['a/0@1']); // the rest waits out the interval
    await second;
    expect(sent.map((x) => x.offsets)).toEqual(['a/0@1', 'a/0@2 a/1@7']);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(195);
    const third = c.commit('a', 0, '3', via);
    await Promise.resolve();
    await c.close(); // a stopping consumer: no waiting out the interval
    await third;
    expect(sent.map((x) => x.offsets)).toEqual(['a/0@1', 'a/0@2 a/1@7', 'a/0@3']);
    expect(Date.now() - t0).toBeLessThan(195 + 150);
  });

  it('with an interval: offsets discarded while waiting out the interval are never sent', async () => {
    const sent: string[] = [];
    const via = async (o: Offsets) => { sent.push(flat(o)); };
    const c = createCommitter({ intervalMs: 100 });
    await c.commit('a', 0, '1', via);
    const queued = c.commit('a', 0, '500', via);
    c.discard();
    await expect(queued).rejects.toThrow('new generation');
    await new Promise((r) => setTimeout(r, 150));
    expect(sent).toEqual(['a/0@1']);
  });
});
