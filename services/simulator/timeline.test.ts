import { describe, expect, it } from 'vitest';
import type { FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import { createTimeline } from './timeline.ts';
import { buildWorld } from './world.ts';
import { T0, directory, scenario } from './test-fixtures.ts';

describe('timeline shutdown', () => {
  it('ends every running flow with FORCED_END at the shutdown instant and drops what would come after', () => {
    const w = buildWorld(scenario(), directory, T0, 's');
    const tl = createTimeline(w, 500);
    const now = T0 + 60_000;
    for (let t = T0; t <= now; t += 1_000) tl.due(t);
    const out = tl.shutdown(now);
    expect(tl.pending()).toBe(0);
    const relay = tl.chains[0]!.truth.hops.find((h) => h.method === 'RELAY_TIMING')!;
    const flows = out.filter((x) => x.topic === 'flows.raw').map((x) => x.value as FlowEvent);
    const skew = (f: FlowEvent) => w.exporters.get(f.exporterId)!.clockSkewMs;
    expect(flows.every((f) => f.endTime - skew(f) <= now + 1)).toBe(true);
    const ends = flows.filter((f) => f.exporterId === 'fr-flow-1' && f.srcAddr === relay.leadsTo!.addr && f.srcPort === relay.leadsTo!.port);
    expect(ends.map((f) => f.endReason)).toEqual(['FORCED_END']);
    expect(flows.filter((f) => f.endReason === 'FORCED_END').length).toBeGreaterThan(100); // background long flows too
    expect(out.every((x) => x.emitAt === now || x.emitAt >= now)).toBe(true);
  });

  it('stops every running session at the shutdown instant, the attack\'s included', () => {
    const w = buildWorld(scenario(), directory, T0, 's');
    const tl = createTimeline(w, 200);
    const now = T0 + 60_000;
    for (let t = T0; t <= now; t += 1_000) tl.due(t);
    const online = [...w.access.values()].flatMap((a) => a.subscribers).filter((s) => s.online);
    const stops = tl.shutdown(now).filter((x) => x.topic === 'sessions.raw').map((x) => x.value as SessionEvent).filter((v) => v.action === 'STOP');
    const skew = (v: SessionEvent) => w.exporters.get(v.exporterId)!.clockSkewMs;
    expect(stops.every((v) => v.eventTime - skew(v) - (v.acctDelayTime ?? 0) * 1000 <= now)).toBe(true);
    const stopped = new Set(stops.filter((v) => v.kind === 'ACCESS_SESSION').map((v) => v.subscriberHandle));
    expect(online.filter((s) => !stopped.has(s.handle))).toEqual([]);
    const entry = w.subjects[0]!.entry;
    expect(stops.filter((v) => v.kind === 'PORT_BLOCK' && v.insideAddr === entry.framed).map((v) => v.eventTime - skew(v))).toEqual(entry.blocks.map(() => now));
  });
});
