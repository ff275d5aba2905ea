// The topics of the pipeline and how they are created. Partition counts are configuration;
// trace.state and registry.providers are compacted.
import type { TopicSpec } from './kafka.ts';

export const TOPICS = Object.freeze({
  flowsRaw: 'flows.raw',
  sessionsRaw: 'sessions.raw',
  flowsNorm: 'flows.norm',
  sessionsNorm: 'sessions.norm',
  traceRequests: 'trace.requests',
  traceHops: 'trace.hops',
  traceUpdates: 'trace.updates',
  traceState: 'trace.state',
  audit: 'audit.disclosures',
  providers: 'registry.providers',
});

export const jurisdictionTopic = (cc: string): string => `trace.updates.${cc}`;
export const dlqTopic = (stage: string): string => `dlq.${stage}`;
/** The consumer stages that dead-letter what they cannot use, each to its dlq.<stage>: created
 *  with the pipeline (the archive's principal may create its own, but a producer does not). */
export const DEAD_LETTER_STAGES = ['ingest', 'correlator', 'tracer', 'archive'] as const;

export function pipelineTopics(partitions: number, jurisdictions: string[]): TopicSpec[] {
  return [
    ...[TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.flowsNorm, TOPICS.sessionsNorm, TOPICS.traceRequests, TOPICS.traceHops, TOPICS.traceUpdates]
      .map((topic) => ({ topic, numPartitions: partitions })),
    { topic: TOPICS.traceState, numPartitions: partitions, compacted: true },
    { topic: TOPICS.providers, numPartitions: 1, compacted: true },
    { topic: TOPICS.audit, numPartitions: 1 },
    ...DEAD_LETTER_STAGES.map((s) => ({ topic: dlqTopic(s), numPartitions: 1 })),
    ...jurisdictions.map((cc) => ({ topic: jurisdictionTopic(cc), numPartitions: 1 })),
  ];
}
