import { describe, expect, it } from 'vitest';
import { createBackoff, retrying } from './backoff.ts';

describe('backoff', () => {
  it('doubles up to the ceiling and starts over after reset', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 500 });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 500]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('retries a retriable failure with growing delays until the step succeeds', async () => {
    const waits: number[] = [];
    const seen: string[] = [];
    let calls = 0;
    const v = await retrying(async () => { if (++calls < 4) throw new Error(`down ${calls}`); return 'ok'; }, {
      retriable: () => true, sleep: async (ms) => { waits.push(ms); }, onRetry: (e, d) => { seen.push(`${(e as Error).message}@${d}`); },
    });
    expect(v).toBe('ok');
    expect(waits).toEqual([200, 400, 800]);
    expect(seen).toEqual(['down 1@200', 'down 2@400', 'down 3@800']);
  });

  it('throws a failure that is not retriable at once, and a retriable one when told to stop', async () => {
    const classify = (e: unknown) => ({ retriable: (e as Error).message === 'down', message: (e as Error).message });
    await expect(retrying(async () => { throw new Error('bad'); }, { classify, retriable: (e) => e.retriable, sleep: async () => undefined }))
      .rejects.toEqual({ retriable: false, message: 'bad' });
    let tries = 0;
    await expect(retrying(async () => { tries++; throw new Error('down'); }, { classify, retriable: (e) => e.retriable, shouldStop: () => tries >= 2, sleep: async () => undefined }))
      .rejects.toEqual({ retriable: true, message: 'down' });
    expect(tries).toBe(2);
  });
});
