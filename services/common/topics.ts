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
/** A jurisdiction's own audit feed: its chain of disclosure records, nobody else's. */
export const auditTopic = (cc: string): string => `audit.disclosures.${cc}`;
/** Audit topics keep their records forever (retention by time off). */
export const AUDIT_RETENTION_MS = -1;
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
    { topic: TOPICS.audit, numPartitions: 1, retentionMs: AUDIT_RETENTION_MS },
    ...DEAD_LETTER_STAGES.map((s) => ({ topic: dlqTopic(s), numPartitions: 1 })),
    ...jurisdictions.flatMap((cc) => jurisdictionTopics(cc)),
  ];
}

/** A jurisdiction's two topics: its signed views and its audit feed (kept forever). */
export function jurisdictionTopics(cc: string): TopicSpec[] {
  return [{ topic: jurisdictionTopic(cc), numPartitions: 1 }, { topic: auditTopic(cc), numPartitions: 1, retentionMs: AUDIT_RETENTION_MS }];
}
