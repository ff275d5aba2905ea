// Every generated raw record passes ingest's validation and normalisation (ingest's own code,
// with its own clock-skew estimator fed the produce times), except the ones the scenario
// deliberately spoils, which fail with the code they were spoiled for.
import { describe, expect, it } from 'vitest';
import type { FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import { createClockSkewEstimator, DEFAULT_CLOCK_SKEW } from '../ingest/domain/clock-skew.ts';
import { DEFAULT_NORMALISE, normaliseFlow, normaliseSession, type NormaliseContext } from '../ingest/domain/normalise.ts';
import { createTimeline } from './timeline.ts';
import { buildWorld } from './world.ts';
import { T0, directory, scenario, scenarioFiles, type Edits } from './test-fixtures.ts';

function check(file: string, seconds: number, edits: Edits = {}) {
  const ctx: NormaliseContext = { byExporter: directory.byExporter, byAddress: directory.byAddress, skew: createClockSkewEstimator(DEFAULT_CLOCK_SKEW), opts: DEFAULT_NORMALISE };
  const w = buildWorld(scenario(file, edits), directory, T0, 'n');
  const tl = createTimeline(w, 500);
  const failures: string[] = [];
  let good = 0;
  let bad = 0;
  for (let t = T0; t <= T0 + seconds * 1_000; t += 500) {
    for (const x of tl.due(t)) {
      let code = 'ok';
      try {
        const n = x.topic === 'flows.raw' ? normaliseFlow(x.value, x.emitAt, ctx) : normaliseSession(x.value, x.emitAt, ctx);
        if (x.topic === 'sessions.raw' && n.keys.length === 0) code = 'no index key';
      } catch (e) { code = (e as { code?: string }).code ?? String(e); }
      if (x.expectBad) { bad++; if (code !== x.expectBad) failures.push(`${x.value.eventId}: expected ${x.expectBad}, got ${code}`); } else {
        good++;
        if (code !== 'ok') failures.push(`${x.value.eventId} (${x.value.exporterId}): ${code} ${JSON.stringify(x.value)}`);
      }
    }
  }
  return { failures, good, bad };
}

describe('generated raw events pass ingest normalisation', () => {
  it.each(scenarioFiles().filter((f) => !f.startsWith('bench')))('%s', (file) => {
    const { failures, good } = check(file, 240);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(good).toBeGreaterThan(10_000);
  });

  it('bad-input knob: spoiled records fail with the intended code, all others pass', () => {
    const { failures, bad } = check('default.json', 30, { 'background.badEventProbability': 0.05 });
    expect(failures.slice(0, 5)).toEqual([]);
    expect(bad).toBeGreaterThan(50);
  });

  it('normalised times undo the exporter skew (within the export delay)', () => {
    const w = buildWorld(scenario(), directory, T0, 'n');
    const tl = createTimeline(w, 200);
    const ctx: NormaliseContext = { byExporter: directory.byExporter, byAddress: directory.byAddress, skew: createClockSkewEstimator(DEFAULT_CLOCK_SKEW), opts: DEFAULT_NORMALISE };
    let last: { raw: FlowEvent | SessionEvent; offset: number } | null = null;
    for (let t = T0; t <= T0 + 60_000; t += 500) {
      for (const x of tl.due(t)) {
        if (x.value.exporterId !== 'de-vpn-gw-1') continue;
        const n = x.topic === 'flows.raw' ? normaliseFlow(x.value, x.emitAt, ctx) : normaliseSession(x.value, x.emitAt, ctx);
        last = { raw: x.value, offset: n.event.clockOffsetMs };
      }
    }
    expect(last).not.toBeNull();
    expect(last!.offset).toBeLessThan(-1_400); // de-vpn-gw-1 runs 2000 ms slow; export delay 50-500 ms
    expect(last!.offset).toBeGreaterThan(-2_100);
  });
});
