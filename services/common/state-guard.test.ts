import { describe, expect, it } from 'vitest';
import { createStateGuardCheck } from './state-guard.ts';

const quiet = { error: () => {}, warn: () => {} };

describe('state guard check', () => {
  it('a check that could not reach Redis clears once a later check finds the state there (a Redis restart is not a loss)', async () => {
    let answer: () => Promise<boolean> = () => Promise.reject(new Error('Reached the max retries per request limit'));
    let recovered = 0;
    const g = createStateGuardCheck({ what: 'windows', lost: () => answer(), recover: async () => { recovered++; } }, quiet, () => false);
    await g.check();
    expect(g.status()).toMatch(/could not check/);
    answer = async () => false;
    await g.check();
    expect(g.status()).toBeUndefined();
    expect(recovered).toBe(0);
  });

  it('a lost state is rebuilt; a failed rebuild stays unhealthy until a retry succeeds', async () => {
    let lost = true;
    let fail = true;
    const g = createStateGuardCheck({
      what: 'windows', lost: async () => lost,
      recover: async () => { if (fail) throw new Error('Redis went away mid-rebuild'); lost = false; },
    }, quiet, () => false);
    await g.check();
    expect(g.status()).toMatch(/rebuild failed/);
    fail = false;
    await g.check();
    expect(g.status()).toBeUndefined();
    expect(lost).toBe(false);
  });

  it('checks do not overlap, and none runs while stopping', async () => {
    let calls = 0;
    let release!: () => void;
    const g = createStateGuardCheck({ what: 'windows', lost: () => { calls++; return new Promise<boolean>((r) => { release = () => r(false); }); }, recover: async () => {} }, quiet, () => false);
    const first = g.check();
    await g.check();
    expect(calls).toBe(1);
    release();
    await first;
    const stopped = createStateGuardCheck({ what: 'windows', lost: async () => { calls++; return true; }, recover: async () => {} }, quiet, () => true);
    await stopped.check();
    expect(calls).toBe(1);
  });
});
