// The tracer stage: decodes trace.requests / trace.hops, groups a batch by trace id keeping
// order, and hands each trace's inputs to the engine. Undecodable input is dead-lettered.
import type { Producer } from 'kafkajs';
import type { Hop, TraceRequest } from '../../schemas/types.gen.ts';
import { deadLetterMessage, type OutMessage } from '../common/dead-letter.ts';
import { dependencyDown, isPermanent, type CrosstraceError } from '../common/errors.ts';
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
            const req = await d.registry.decode<TraceRequest>(m.topic, m.value);
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
          if (!isPermanent(e)) throw e;
          const err = e as CrosstraceError;
          d.metrics.stage.deadLetters.inc({ topic: m.topic, reason: err.code });
          d.logger.warn({ code: err.code, reason: err.message, topic: m.topic, partition: m.partition, offset: m.offset }, 'dead-lettered');
          dead.push(deadLetterMessage('tracer', err, m, Date.now()));
        }
      }
      if (dead.length) {
        try { await d.producer.send({ topic: dlqTopic('tracer'), messages: dead }); } catch (e) { throw dependencyDown('producing dead letters failed', e); }
      }
      await Promise.all([...byTrace].map(([id, inputs]) => d.engine.process(id, inputs)));
    },
  };
}
