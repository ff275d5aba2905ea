import { describe, expect, it } from 'vitest';
import { simulatorConfig } from './config.ts';
import { formatProgress } from './progress.ts';

describe('simulator config', () => {
  it('has working defaults', () => {
    const c = simulatorConfig.parse({});
    expect(c.CROSSTRACE_SIMULATOR_HTTP_PORT).toBe(9105);
    expect(c.CROSSTRACE_SIMULATOR_SEED).toBe('run');
    expect(c.CROSSTRACE_SIMULATOR_OPEN_TRACE).toBe(false);
  });

  it('takes a seed choice and rejects typos by key name', () => {
    expect(simulatorConfig.parse({ CROSSTRACE_SIMULATOR_SEED: 'scenario' }).CROSSTRACE_SIMULATOR_SEED).toBe('scenario');
    expect(simulatorConfig.parse({ CROSSTRACE_SIMULATOR_SEED: '42' }).CROSSTRACE_SIMULATOR_SEED).toBe(42);
    expect(() => simulatorConfig.parse({ CROSSTRACE_SIMULATOR_SEED: 'x' })).toThrow(/CROSSTRACE_SIMULATOR_SEED="x": must be run, scenario or a whole number/);
    expect(() => simulatorConfig.parse({ CROSSTRACE_SIMULATOR_RATEE: '5' })).toThrow(/CROSSTRACE_SIMULATOR_RATEE is not a setting/);
  });
});

describe('progress line', () => {
  const base = { scenario: 'default', elapsedMs: 12_400, durationMs: 300_000, rate: 20_113.4, targetRate: 20_000, total: 812_345, byTopic: { 'flows.raw': 800_000, 'sessions.raw': 12_345 }, lagMs: 0, backlog: 0, tracesOpened: 0 };
  it('says the rate, the total and whether the run keeps to its schedule', () => {
    expect(formatProgress(base)).toBe('simulator default t+12/300s  20,113 ev/s (target 20,000)  total 812,345 [flows.raw 800,000, sessions.raw 12,345]  on schedule');
    expect(formatProgress({ ...base, lagMs: 3_200, backlog: 64_000, tracesOpened: 1 })).toContain('BEHIND schedule by 3.2 s (64,000 due)  traces opened 1');
  });
});
