import { describe, expect, it } from 'vitest';
import { createPartitionQueues } from './partition-queues.ts';

/** A run the test ends by hand: run(batch) records it and waits for finish(batch). */
function harness() {
  const events: string[] = [];
  const ends = new Map<string, { resolve(): void; reject(e: unknown): void }>();
  const currents = new Map<string, () => boolean>();
  const failedWaits: (() => void)[] = [];
  const q = createPartitionQueues<string>({
    run: (b, current) => {
      events.push(`start ${b}`);
      currents.set(b, current);
      return new Promise<void>((resolve, reject) => { ends.set(b, { resolve, reject }); });
    },
    onFailed: (key, b) => {
      events.push(`failed ${key} ${b}`);
      return new Promise<void>((r) => { failedWaits.push(r); });
    },
  });
  const pause = (key: string) => () => { events.push(`pause ${key}`); return () => { events.push(`resume ${key}`); }; };
  const tick = () => new Promise((r) => setTimeout(r, 0));
  return { q, events, pause, tick, currents,
    finish: async (b: string) => { ends.get(b)!.resolve(); await tick(); },
    fail: async (b: string) => { ends.get(b)!.reject(new Error('x')); await tick(); },
    endFailWait: async () => { failedWaits.shift()!(); await tick(); } };
}

describe('createPartitionQueues', () => {
  it('handles one partition\'s batches in order, partitions at once, and pauses a partition with a batch waiting until that batch starts', async () => {
    const { q, events, pause, finish } = harness();
    q.push('a', 'a1', pause('a'));
    q.push('b', 'b1', pause('b'));
    q.push('a', 'a2', pause('a'));
    expect(events).toEqual(['start a1', 'start b1', 'pause a']);
    expect(q.waiting()).toBe(1);
    await finish('b1');
    expect(events.at(-1)).toBe('pause a'); // b's end starts nothing of a's
    await finish('a1');
    expect(events.slice(3)).toEqual(['resume a', 'start a2']);
    q.push('a', 'a3', pause('a'));
    expect(events.at(-1)).toBe('pause a');
    await finish('a2');
    await finish('a3');
    expect(events.slice(5)).toEqual(['pause a', 'resume a', 'start a3']);
    await q.idle();
  });

  it('a new epoch drops what waits, resumes what it paused, and tells the running batch it is over', async () => {
    const { q, events, pause, finish, currents } = harness();
    q.push('a', 'a1', pause('a'));
    q.push('a', 'a2', pause('a'));
    expect(currents.get('a1')!()).toBe(true);
    q.newEpoch();
    expect(currents.get('a1')!()).toBe(false);
    expect(events).toEqual(['start a1', 'pause a', 'resume a']);
    expect(q.waiting()).toBe(0);
    // a batch of the new epoch waits behind the old one still running, then runs
    q.push('a', 'a9', pause('a'));
    await finish('a1');
    expect(events.slice(3)).toEqual(['pause a', 'resume a', 'start a9']);
    expect(currents.get('a9')!()).toBe(true);
    await finish('a9');
  });

  it('after a failed run drops the partition\'s waiting batches, and resumes it once onFailed resolved', async () => {
    const { q, events, pause, fail, endFailWait, finish } = harness();
    q.push('a', 'a1', pause('a'));
    q.push('a', 'a2', pause('a'));
    await fail('a1');
    expect(events).toEqual(['start a1', 'pause a', 'failed a a1']);
    expect(q.waiting()).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toHaveLength(3); // still paused while onFailed waits
    await endFailWait();
    expect(events.slice(3)).toEqual(['resume a']);
    q.push('a', 'a1again', pause('a')); // the rewound partition's next fetch
    expect(events.slice(4)).toEqual(['start a1again']);
    await finish('a1again');
    expect(events.includes('start a2')).toBe(false);
  });

  it('close() queues nothing more and idle() resolves once the running batches end', async () => {
    const { q, events, pause, finish } = harness();
    q.push('a', 'a1', pause('a'));
    q.push('b', 'b1', pause('b'));
    q.push('b', 'b2', pause('b'));
    q.close();
    expect(q.push('a', 'a2', pause('a'))).toBe(false);
    let idle = false;
    const done = q.idle().then(() => { idle = true; });
    await finish('a1');
    expect(idle).toBe(false);
    await finish('b1');
    await done;
    expect(events).toEqual(['start a1', 'start b1', 'pause b', 'resume b']);
  });

  it('with merge: what is pushed while a batch runs waits as one batch, and the partition is paused once pauseAt records wait', async () => {
    const events: string[] = [];
    const ends = new Map<string, () => void>();
    const q = createPartitionQueues<string[]>({
      run: (b) => { events.push(`start ${b.join('+')}`); return new Promise<void>((r) => { ends.set(b.join('+'), r); }); },
      onFailed: async () => undefined,
      merge: (a, b) => a.concat(b), size: (b) => b.length, pauseAt: 3,
    });
    const pause = () => { events.push('pause'); return () => { events.push('resume'); }; };
    q.push('a', ['1'], pause);
    q.push('a', ['2'], pause);
    q.push('a', ['3'], pause);
    expect(events).toEqual(['start 1']); // two records wait: not paused yet
    q.push('a', ['4'], pause);
    expect(events).toEqual(['start 1', 'pause']);
    expect(q.waiting()).toBe(1);
    ends.get('1')!();
    await new Promise((r) => setTimeout(r, 0));
    expect(events).toEqual(['start 1', 'pause', 'resume', 'start 2+3+4']);
    ends.get('2+3+4')!();
    await q.idle();
  });
});
