import { describe, expect, it } from 'vitest';
import { DEFAULT_CLOCK_SKEW, createClockSkewEstimator } from './clock-skew.ts';

const one = { ...DEFAULT_CLOCK_SKEW, minSamples: 1 };

describe('clock skew estimator', () => {
  it('takes the max sample (min transit delay) as the offset', () => {
    const est = createClockSkewEstimator({ ...DEFAULT_CLOCK_SKEW, minSamples: 3 });
    expect(est.observe('e1', 5_000 - 1500, 5_000).offsetMs).toBe(0); // slow or delayed? too few samples yet
    // a sample ahead of its receipt proves the clock at least that fast: used at once
    expect(est.observe('e1', 6_000 + 1500, 6_300).offsetMs).toBe(1200);
    // exporter 1500 ms fast; transit delays 80, 5, 300 ms
    est.observe('e1', 10_000 + 1500, 10_080);
    est.observe('e1', 20_000 + 1500, 20_005);
    const r = est.observe('e1', 30_000 + 1500, 30_300);
    expect(r).toEqual({ offsetMs: 1495, flagged: false }); // the least delayed sample
  });
  it('handles slow clocks (negative offset) and keeps exporters apart', () => {
    const est = createClockSkewEstimator(one);
    expect(est.observe('slow', 8_000, 10_000).offsetMs).toBe(-2000);
    expect(est.observe('ok', 10_010, 10_020).offsetMs).toBe(0); // |-10| below the noise floor
    expect(est.estimates().get('slow')).toBe(-2000);
  });
  it('flags a clock hours off instead of absorbing it', () => {
    const est = createClockSkewEstimator(one);
    const r = est.observe('broken', 1_000_000 + 3 * 3_600_000, 1_000_000);
    expect(r.flagged).toBe(true);
  });
  it('forgets samples received longer ago than the window (receive time, not sample count)', () => {
    const est = createClockSkewEstimator({ ...DEFAULT_CLOCK_SKEW, ignoreBelowMs: 0, minSamples: 1, windowMs: 10_000 });
    est.observe('e', 5000, 0); // an early wrong sample
    expect(est.observe('e', 9100, 9000).offsetMs).toBe(5000); // still in the window
    expect(est.observe('e', 12_100, 12_000).offsetMs).toBe(100); // 12 s later: gone
  });
  it('counts a burst (many samples received at one instant) as one sample', () => {
    const est = createClockSkewEstimator({ ...DEFAULT_CLOCK_SKEW, minSamples: 2 });
    for (let i = 0; i < 50; i++) expect(est.observe('e', 10_000 - 30_000 + i * 100, 10_000).offsetMs).toBe(0);
  });
});

// Review defect 4 (tracing.review.md): a CGN's IPFIX export (RFC 7011 over TCP/SCTP) is cut for
// 10 min; the device queues its messages, each stamped with its true Export Time, and sends the
// backlog when the session comes back. The old filter (max of the last 32 samples) read the
// backlog's queueing delay as a clock 5 min slow.
describe('clock skew estimator and an export backlog', () => {
  const R = 1_800_000_000_000;
  const S = 1000;
  it('does not read the queueing delay of records buffered during an outage as clock skew', () => {
    const est = createClockSkewEstimator();
    for (let i = 0; i < 40; i++) est.observe('cgn', R - 3600 * S + i * S, R - 3600 * S + i * S + 5); // live, 5 ms transit
    const offsets: number[] = [];
    for (let t = 600; t > 0; t--) offsets.push(est.observe('cgn', R - t * S, R).offsetMs); // 600 s of backlog, all received at R
    for (let i = 1; i <= 10; i++) offsets.push(est.observe('cgn', R + i * S, R + i * S + 5).offsetMs); // live again
    expect(Math.min(...offsets)).toBe(0);
    expect(Math.max(...offsets)).toBe(0);
  });
  it('does not when the backlog drains over several receive instants either', () => {
    const est = createClockSkewEstimator();
    for (let i = 0; i < 40; i++) est.observe('cgn', R - 3600 * S + i * S, R - 3600 * S + i * S + 5);
    const offsets: number[] = [];
    for (let t = 600; t > 0; t--) offsets.push(est.observe('cgn', R - t * S, R + Math.floor((600 - t) / 20) * 100).offsetMs); // 30 batches, 100 ms apart
    expect(offsets.filter((o) => o !== 0)).toEqual([]);
  });
  it('keeps a known offset through the gap, and still takes up a clock that changed during it', () => {
    const est = createClockSkewEstimator();
    for (let i = 0; i < 10; i++) est.observe('e', R + i * S + 30 * S, R + i * S + 5); // 30 s fast
    expect(est.observe('e', R + 40 * S, R + 10 * S).offsetMs).toBe(30 * S);
    // 15 min silence; backlog exported during it: still corrected by +30 s, not re-estimated
    expect(est.observe('e', R + 300 * S + 30 * S, R + 910 * S).offsetMs).toBe(30 * S);
    // the exporter came back 20 s slow (a reboot without NTP): live samples after the resumption say so
    let off = 0;
    for (let i = 0; i < 60; i++) off = est.observe('e', R + 940 * S + i * S - 20 * S, R + 940 * S + i * S + 5).offsetMs;
    expect(off).toBe(-20 * S - 5);
  });
  it('an exporter that is merely quiet (minutes between records) keeps its estimate', () => {
    const est = createClockSkewEstimator({ ...DEFAULT_CLOCK_SKEW, windowMs: 3_600_000, gapMs: 3_600_000 });
    let off = 0;
    for (let i = 0; i < 10; i++) off = est.observe('nas', R + i * 300 * S - 7 * S, R + i * 300 * S + 3).offsetMs; // 7 s slow, a record every 5 min
    expect(off).toBe(-7 * S - 3);
  });
});
