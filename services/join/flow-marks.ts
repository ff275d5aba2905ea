// Redis adapter of the flow watermark (flow-watermark.ts): the correlator advances the marks
// after indexing (advance-flow-marks.lua), the tracer reads every exporter's watermark. The
// marks count only in a Redis whose windows were built from Kafka (the state marker): after
// Redis lost its state they are gone or partial, and nothing settles until the windows are back.
import type { Redis } from 'ioredis';
import { exporterWatermarks, FLOW_MARKS_KEY } from './flow-watermark.ts';
import { luaScript } from './lua-script.ts';
import { STATE_MARKER } from './window-layout.ts';

const SCRIPT = luaScript('advance-flow-marks');

export function createFlowMarks(redis: Redis) {
  const r = redis as Redis & { ctAdvanceFlowMarks(key: string, ...args: (string | number)[]): Promise<number> };
  if (!('ctAdvanceFlowMarks' in r)) redis.defineCommand('ctAdvanceFlowMarks', { numberOfKeys: 1, lua: SCRIPT });
  return {
    /** Moves each field's mark up to its value (never back). */
    async advance(marks: ReadonlyMap<string, number>): Promise<void> {
      if (marks.size === 0) return;
      await r.ctAdvanceFlowMarks(FLOW_MARKS_KEY, ...[...marks].flat());
    },
    /** exporterId -> watermark (UTC ms); empty when the windows are not (yet) built from Kafka. */
    async watermarks(): Promise<Map<string, number>> {
      // the marks between two reads of the marker in one round trip: the same build before and
      // after (a FLUSHALL or a rebuild's end between them is seen), as the window reads
      const res = await redis.pipeline().get(STATE_MARKER).hgetall(FLOW_MARKS_KEY).get(STATE_MARKER).exec();
      if (!res) throw new Error('redis pipeline returned nothing');
      for (const [err] of res) if (err) throw err;
      const [before, marks, after] = res.map(([, v]) => v);
      if (before === null || before !== after) return new Map();
      return exporterWatermarks(marks as Record<string, string>);
    },
  };
}

export type FlowMarks = ReturnType<typeof createFlowMarks>;
