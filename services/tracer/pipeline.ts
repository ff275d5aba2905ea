// The tracer stage: decodes trace.requests / trace.hops, groups a batch by trace id keeping
// order, and hands each trace's inputs to the engine (which publishes). Undecodable or invalid
// input (a TraceRequest is checked: addresses, ports, times), and a record the engine then fails
// on, not retriably, are dead-lettered by the stage wrapper (common/stage.ts).
import type { Producer } from 'kafkajs';
import type { Hop, TraceRequest } from '../../schemas/types.gen.ts';
import { checkTraceRequest } from './domain/request-check.ts';
import type { Logger } from '../common/logger.ts';
import type { RegistryClient } from '../common/registry.ts';
import { wrapStage } from '../common/stage.ts';
import { TOPICS } from '../common/topics.ts';
import type { TraceInput, TracerEngine } from './engine.ts';
import type { TracerMetrics } from './metrics.ts';

export function createTracerPipeline(d: { engine: TracerEngine; registry: RegistryClient; producer: Producer; metrics: TracerMetrics; logger: Logger }) {
  const handle = wrapStage({ stage: 'tracer', producer: d.producer, metrics: d.metrics.stage, logger: d.logger }, async (msgs, batch) => {
    const byTrace = new Map<string, TraceInput[]>();
    for (const m of msgs) {
      const read = await batch.read(m, async (): Promise<{ traceId: string; input: TraceInput }> => {
        if (m.topic === TOPICS.traceRequests) {
          const req = checkTraceRequest(await d.registry.decode<TraceRequest>(m.topic, m.value));
          return { traceId: req.traceId, input: { kind: 'request', req } };
        }
        const hop = await d.registry.decode<Hop>(m.topic, m.value);
        return { traceId: hop.traceId, input: { kind: 'hops', hops: [hop] } };
      });
      if (!read) continue;
      const { traceId, input } = read;
      const list = byTrace.get(traceId) ?? [];
      const last = list.at(-1);
      if (input.kind === 'hops' && last?.kind === 'hops') last.hops.push(...input.hops); // one pass for consecutive hops
      else list.push(input);
      byTrace.set(traceId, list);
    }
    await Promise.all([...byTrace].map(([id, inputs]) => d.engine.process(id, inputs)));
  });
  return { handle };
}
