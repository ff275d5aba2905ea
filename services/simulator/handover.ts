// A provider's handover of its retained logs (the simulator's PAST_MS mode): the records of a
// run that took place in the past, exported now. Each record keeps its device-clock event
// times; its exportTime becomes the moment it is handed over on the exporter's clock (true now
// + the exporter's skew), as an export of stored logs is stamped. Ingest then sees an exporter
// clock that is right (its offset estimate is the skew, as live) and event times days old.
import type { RawOut } from './raw-events.ts';
import type { Timeline } from './timeline.ts';
import type { World } from './world.ts';

/** The timeline's records, each stamped with the handover time `now()` when it is taken. */
export function handedOver(t: Timeline, w: Pick<World, 'exporters'>, now: () => number = Date.now): Timeline {
  const stamp = (xs: RawOut[]): RawOut[] => {
    const at = now();
    return xs.map((x) => {
      const exportTime = Math.round(at + (w.exporters.get(x.value.exporterId)?.clockSkewMs ?? 0));
      return x.topic === 'flows.raw' ? { ...x, value: { ...x.value, exportTime } } : { ...x, value: { ...x.value, exportTime } };
    });
  };
  return { ...t, due: (to) => stamp(t.due(to)), shutdown: (to) => stamp(t.shutdown(to)) };
}
