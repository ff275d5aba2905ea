// The tracer stage: decodes trace.requests / trace.hops, groups a batch by trace id keeping
// order, and hands each trace's inputs to the engine. Undecodable or invalid input (a
// TraceRequest is checked: addresses, ports, times) is dead-lettered here; a record the engine
// then fails on, not retriably, is dead-lettered by the stage wrapper (service-kit serveStage).
import type { Producer } from 'kafkajs';
import type { Hop, TraceRequest } from '../../schemas/types.gen.ts';
import { rejectRecord, type OutMessage } from '../common/dead-letter.ts';
import { classify, dependencyDown } from '../common/errors.ts';
import { checkTraceRequest } from './domain/request-check.ts';
import type { ConsumedMessage } from '../common/kafka.ts';
import type { Logger } from '../common/logger.ts';
import type { RegistryClient } from '../common/registry.ts';
import { TOPICS, dlqTopic } from '../common/topics.ts';
import type { TraceInput, TracerEngine } from './engine.ts';
import type { TracerMetrics } from './metrics.ts';

export function createTracerPipeline(d: { engine: TracerEngine; registry: RegistryClient; producer: Producer; metrics: TracerMetrics; logger: Logger }) {
  return {
    async handle(msgs: ConsumedMessage[]): Promise<void> {
      const byTrace = new Map<string, TraceInput[]>();
      const dead: OutMessage[] = [];
      for (const m of msgs) {
        try {
          let traceId: string;
          let input: TraceInput;
          if (m.topic === TOPICS.traceRequests) {
            const req = checkTraceRequest(await d.registry.decode<TraceRequest>(m.topic, m.value));
            traceId = req.traceId;
            input = { kind: 'request', req };
          } else {
            const hop = await d.registry.decode<Hop>(m.topic, m.value);
            traceId = hop.traceId;
            input = { kind: 'hops', hops: [hop] };
          }
          const list = byTrace.get(traceId) ?? [];
          const last = list.at(-1);
          if (input.kind === 'hops' && last?.kind === 'hops') last.hops.push(...input.hops); // one pass for consecutive hops
          else list.push(input);
          byTrace.set(traceId, list);
        } catch (e) {
          const err = classify(e);
          if (err.retriable) throw err;
          dead.push(rejectRecord({ stage: 'tracer', metrics: d.metrics.stage, logger: d.logger, now: Date.now() }, err, m));
        }
      }
      if (dead.length) {
        try { await d.producer.send({ topic: dlqTopic('tracer'), messages: dead }); } catch (e) { throw dependencyDown('producing dead letters failed', e); }
      }
      await Promise.all([...byTrace].map(([id, inputs]) => d.engine.process(id, inputs)));
    },
  };
}
