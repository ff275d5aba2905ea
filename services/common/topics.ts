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

/**
 * Raw topics of one provider: only its own exporters' principals may write them
 * (deploy/security/acls.json), so the topic, not the record, tells ingest which provider speaks;
 * a record there naming another provider's exporter is dead-lettered. The shared flows.raw and
 * sessions.raw are the node's own services' (collector, simulator), not an exporter's.
 */
export const providerRawTopic = (base: RawBase, providerId: string): string => `${base}.${providerId}`;
export type RawBase = typeof TOPICS.flowsRaw | typeof TOPICS.sessionsRaw;
export const providerRawTopics = (providerIds: string[]): string[] =>
  providerIds.flatMap((id) => [providerRawTopic(TOPICS.flowsRaw, id), providerRawTopic(TOPICS.sessionsRaw, id)]);

/** Which raw stream a topic carries and the provider it speaks for (null on a shared raw topic);
 *  undefined when it is not a raw topic. */
export function rawTopicOf(topic: string): { base: RawBase; providerId: string | null } | undefined {
  for (const base of [TOPICS.flowsRaw, TOPICS.sessionsRaw] as const) {
    if (topic === base) return { base, providerId: null };
    if (topic.startsWith(`${base}.`) && topic.length > base.length + 1) return { base, providerId: topic.slice(base.length + 1) };
  }
  return undefined;
}

export function pipelineTopics(partitions: number, jurisdictions: string[], providerIds: string[] = []): TopicSpec[] {
  return [
    ...providerRawTopics(providerIds).map((topic) => ({ topic, numPartitions: partitions })),
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
