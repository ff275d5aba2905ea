// The produce loop ends its run with the whole timeline produced, behind schedule or not.
import type { Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.ts';
import type { RegistryClient } from '../common/registry.ts';
import { createSimulatorMetrics } from './metrics.ts';
import { createProduceLoop } from './produce-loop.ts';
import type { RawOut } from './raw-events.ts';
import type { Timeline } from './timeline.ts';

describe('produce loop', () => {
  it('behind schedule when the run ends, it produces the rest of the timeline before the shutdown flush', async () => {
    // one record a second of event time for 100 s; the producer is stalled for the whole run (a
    // broker restart), and the clock has passed the end when it answers again
    const events = Array.from({ length: 101 }, (_, i) => ({ topic: 'flows.raw', key: `k${i}`, value: { eventId: `e${i}` }, emitAt: i * 1000 }) as unknown as RawOut);
    let next = 0;
    const timeline = {
      chains: [],
      due: (to: number) => { const out: RawOut[] = []; while (next < events.length && events[next]!.emitAt <= to) out.push(events[next++]!); return out; },
      shutdown: () => [{ topic: 'flows.raw', key: 'flush', value: { eventId: 'flush' }, emitAt: 100_000 } as unknown as RawOut],
    } as unknown as Timeline;
    const sent: string[] = [];
    let now = 0;
    const producer = { sendBatch: async (b: { topicMessages: { messages: { key: string }[] }[] }) => { for (const t of b.topicMessages) for (const m of t.messages) sent.push(m.key); } } as unknown as Producer;
    const loop = createProduceLoop({
      producer, registry: { encode: (_t: string, v: unknown) => Buffer.from(JSON.stringify(v)) } as unknown as RegistryClient, timeline, requests: [], until: 100_000,
      tickMs: 1, maxBatch: 50, maxInFlight: 2, metrics: createSimulatorMetrics(), logger: createLogger('test', 'silent'), clock: () => now,
    });
    const done = loop.run();
    now = 150_000; // the first tick collected t = 0; every later one sees the run over
    await done;
    expect(sent.filter((k) => k !== 'flush')).toEqual(events.map((e) => e.key));
    expect(sent.at(-1)).toBe('flush');
  });
});
