import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../schemas/types.gen.ts';
import type { RawOut } from './raw-events.ts';
import { createTimeline } from './timeline.ts';
import { buildWorld } from './world.ts';
import { T0, directory, scenario, type Edits } from './test-fixtures.ts';

function run(seconds: number, edits: Edits = {}, rate?: number) {
  const w = buildWorld(scenario('default.json', edits), directory, T0, 'b');
  const tl = createTimeline(w, rate);
  const chainIds = new Set(tl.chains.flatMap((c) => c.events.map((x) => x.value.eventId)));
  const perSecond: number[] = [];
  const all: RawOut[] = [];
  for (let s = 1; s <= seconds; s++) {
    const due = tl.due(T0 + s * 1_000);
    perSecond.push(due.filter((x) => !chainIds.has(x.value.eventId)).length);
    all.push(...due);
  }
  return { w, tl, perSecond, all };
}

describe('background', () => {
  it('runs at the target rate once the backfill is out', () => {
    const { perSecond } = run(60, {}, 2_000);
    const steady = perSecond.slice(10);
    const mean = steady.reduce((a, b) => a + b, 0) / steady.length;
    expect(mean).toBeGreaterThan(1_800);
    expect(mean).toBeLessThan(2_200);
  });

  it('emits every record at or after its emitAt, and no eventId twice', () => {
    const w = buildWorld(scenario(), directory, T0, 'b');
    const tl = createTimeline(w, 1_000);
    const seen = new Set<string>();
    for (let t = T0; t <= T0 + 30_000; t += 250) {
      for (const x of tl.due(t)) {
        expect(x.emitAt).toBeLessThanOrEqual(t);
        expect(seen.has(x.value.eventId)).toBe(false);
        seen.add(x.value.eventId);
      }
    }
  });

  it('churns sessions: port reuse across subscribers, lost stops, late stops, address reuse', () => {
    const { all } = run(600, { 'background.sessionChurnPerHour': 30, 'background.lostStopProbability': 0.2, 'background.eventsPerSecond': 50 });
    const sessions = all.map((x) => x.value).filter((v): v is SessionEvent => 'kind' in v);
    const blockStarts = sessions.filter((e) => e.kind === 'PORT_BLOCK' && e.action === 'START');
    const holders = new Map<string, Set<string>>();
    for (const e of blockStarts) {
      const k = `${e.outsideAddr}/${e.portRangeStart}`;
      holders.set(k, (holders.get(k) ?? new Set()).add(e.insideAddr!));
    }
    expect([...holders.values()].some((h) => h.size > 1)).toBe(true); // one block, several inside hosts over time
    const stops = sessions.filter((e) => e.kind === 'ACCESS_SESSION' && e.action === 'STOP').length;
    const churned = sessions.filter((e) => e.kind === 'ACCESS_SESSION' && e.action === 'START' && e.eventTime > T0 + 60_000).length;
    expect(stops).toBeLessThan(churned); // some stops lost
    const framedBy = new Map<string, Set<string>>();
    for (const e of sessions.filter((x) => x.kind === 'ACCESS_SESSION' && x.action === 'START')) {
      framedBy.set(e.framedIpAddress!, (framedBy.get(e.framedIpAddress!) ?? new Set()).add(e.subscriberHandle!));
    }
    expect([...framedBy.values()].some((h) => h.size > 1)).toBe(true); // an address held by two subscribers over time
    expect(sessions.some((e) => e.kind === 'VPN_SESSION' && e.action === 'STOP')).toBe(true);
  });

  it('leaves the pinned attack subjects to the chain', () => {
    const { w, tl, all } = run(30);
    const entry = w.subjects[0]!.entry;
    const chainIds = new Set(tl.chains[0]!.events.map((x) => x.value.eventId));
    const foreign = all.filter((x) => !chainIds.has(x.value.eventId) && 'kind' in x.value && x.value.subscriberHandle === entry.handle);
    expect(foreign).toEqual([]);
  });
});
