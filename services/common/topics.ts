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

/** The topics each service's stage consumer reads (its main.ts serveStage); ingest also reads
 *  the exporters' own raw topics (flows.raw.<provider>.<exporter>, ...) that exist. One list
 *  for the tests' group starts and make bench's (bench/services-at-end.ts). */
export const SERVICE_INPUTS = Object.freeze({
  INGEST: [TOPICS.flowsRaw, TOPICS.sessionsRaw], CORRELATOR: [TOPICS.flowsNorm, TOPICS.sessionsNorm],
  TRACER: [TOPICS.traceRequests, TOPICS.traceHops], ARCHIVE: [TOPICS.sessionsNorm, TOPICS.flowsNorm],
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
 * Raw topics of one exporter, flows.raw.<providerId>.<exporterId>: only that exporter's principal
 * may write them (deploy/security/acls.json, literal ACLs), so the topic, not the record, tells
 * ingest who speaks. Kafka does not tell a consumer who produced a record (a header is whatever
 * the producer wrote), so the topic is the one thing the broker vouches for. A record there naming
 * another exporter, or an exporter the registry gives to another provider, is dead-lettered. The
 * shared flows.raw and sessions.raw are the node's own services' (collector, simulator).
 */
export const exporterRawTopic = (base: RawBase, providerId: string, exporterId: string): string => `${base}.${providerId}.${exporterId}`;
export type RawBase = typeof TOPICS.flowsRaw | typeof TOPICS.sessionsRaw;
/** An exporter and the provider it speaks for (deploy/providers.json, registry.providers). */
export interface ExporterOf { exporterId: string; providerId: string }
/** A provider id makes a topic segment (no dot: the exporter id follows the first one). */
const PROVIDER_SEGMENT = /^[A-Za-z0-9_-]+$/;
/** An exporter id makes a topic segment; collector-attributed ids (an address, `address#domain`)
 *  often do not, and have no topics of their own: only the collector speaks for them. */
const EXPORTER_SEGMENT = /^[A-Za-z0-9._-]+$/;
/** Raw topics are made for an exporter only when both ids are topic-legal (Kafka: [A-Za-z0-9._-], at most 249 characters). */
export const hasOwnRawTopics = (e: ExporterOf): boolean =>
  PROVIDER_SEGMENT.test(e.providerId) && EXPORTER_SEGMENT.test(e.exporterId) && exporterRawTopic(TOPICS.sessionsRaw, e.providerId, e.exporterId).length <= 249;
export const exporterRawTopics = (exporters: ExporterOf[]): string[] =>
  exporters.filter(hasOwnRawTopics).flatMap((e) => [exporterRawTopic(TOPICS.flowsRaw, e.providerId, e.exporterId), exporterRawTopic(TOPICS.sessionsRaw, e.providerId, e.exporterId)]);
/** Partitions of an exporter's own raw topic unless `admin acl apply --exporter-partitions` says
 *  otherwise: one exporter is one stream, and 2 topics per exporter add up (README). */
export const EXPORTER_RAW_PARTITIONS = 1;

/** Which raw stream a topic carries and whose it is (both null on a shared raw topic);
 *  undefined when it is not a raw topic. */
export function rawTopicOf(topic: string): { base: RawBase; providerId: string | null; exporterId: string | null } | undefined {
  for (const base of [TOPICS.flowsRaw, TOPICS.sessionsRaw] as const) {
    if (topic === base) return { base, providerId: null, exporterId: null };
    if (!topic.startsWith(`${base}.`)) continue;
    const rest = topic.slice(base.length + 1);
    const dot = rest.indexOf('.');
    if (dot <= 0 || dot === rest.length - 1) return undefined;
    return { base, providerId: rest.slice(0, dot), exporterId: rest.slice(dot + 1) };
  }
  return undefined;
}

export function pipelineTopics(partitions: number, jurisdictions: string[], exporters: ExporterOf[] = [], exporterPartitions = EXPORTER_RAW_PARTITIONS): TopicSpec[] {
  return [
    ...exporterRawTopics(exporters).map((topic) => ({ topic, numPartitions: exporterPartitions })),
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
