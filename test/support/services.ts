// Starts crosstrace services in-process against the stack under test, each with its own
// consumer group and an ephemeral HTTP port, and stops them after the test file.
import type { Consumer, Kafka } from 'kafkajs';
import { commitAtEnd } from '../../services/common/group-start.ts';
import { ensureTopics } from '../../services/common/kafka.ts';
import { createRegistryClient, type RegistryClient } from '../../services/common/registry.ts';
import { pipelineTopics, SERVICE_INPUTS, TOPICS } from '../../services/common/topics.ts';
import { testKafka, type StackEndpoints } from './stack.ts';

export { SERVICE_INPUTS };
export type InputService = keyof typeof SERVICE_INPUTS;
export const ownRawTopic = (t: string): boolean => t.startsWith(`${TOPICS.flowsRaw}.`) || t.startsWith(`${TOPICS.sessionsRaw}.`);

export function serviceEnv(stack: StackEndpoints, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    REDIS_URL: serviceRedisUrl(stack, extra),
    KAFKA_CLIENT_PROPERTIES: stack.kafkaClientProperties ?? '',
    LOG_LEVEL: process.env.CROSSTRACE_TEST_LOG_LEVEL ?? 'warn',
    // tests give the tracer a key file in a temporary folder: made there, as in the demo
    CROSSTRACE_DEMO: '1',
    ...extra,
  };
}

/** The Redis URL of the service whose own keys (CROSSTRACE_<SERVICE>_*) `extra` sets: its ACL
 *  user where the stack has one, so tests run each service with only its Redis rights; else
 *  (and in a database other than 0, which the users may not SELECT) the admin. */
export function serviceRedisUrl(stack: StackEndpoints, extra: Record<string, string>): string {
  // a test that picked a database of its own (redis://.../11) keeps it, as the admin
  if (/^rediss?:\/\/[^/]+\/[1-9]\d*$/.test(stack.redisUrl)) return stack.redisUrl;
  for (const k of Object.keys(extra)) {
    const svc = /^CROSSTRACE_([A-Z]+)_/.exec(k)?.[1]?.toLowerCase();
    const url = svc && stack.redisUserUrls?.[svc];
    if (url) return url;
  }
  return stack.redisUrl;
}

/** A consumer group id unique to this run. */
export const uniqueGroup = (name: string): string => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

/** Waits until a service's /healthz says ok (its consumer has joined its group). */
export async function waitHealthy(port: number, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return; } catch { /* not up yet */ }
    if (Date.now() > until) throw new Error(`service on port ${port} not healthy within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Makes a new consumer group start at the current end of `topics` (created first if missing, as
 * the services create them: 6 partitions) for a service or reader started with fromBeginning
 * TRUE: services/common/group-start.ts commitAtEnd, which says why "from the end" as kafkajs does
 * it loses records a test sends right after the start (redis-lost: ingest never read the first
 * trace's flows nor its early sessions, so its relay lookup found nothing and it stayed AMBIGUOUS
 * "its flow records are overdue"). `alsoExisting`: further topics the group reads where they
 * exist (ingest: exporters' own raw topics). Before the group's first member only; a restart goes
 * on from its commits.
 */
export async function groupAtEnd(stack: StackEndpoints, groupId: string, topics: string[], alsoExisting: (topic: string) => boolean = () => false): Promise<void> {
  const kafka = testKafka(`start-${groupId}`, stack.kafkaBrokers, stack.kafkaClientProperties);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, pipelineTopics(6, []).filter((t) => topics.includes(t.topic)));
    const more = (await admin.listTopics()).filter((t) => !topics.includes(t) && alsoExisting(t));
    await commitAtEnd(admin, groupId, [...topics, ...more], { kafka });
  } finally {
    await admin.disconnect();
  }
}

/** The settings of service `svc` in group `groupId`, whose start is committed at the end of the
 *  service's inputs as they are now (groupAtEnd): it reads exactly what is sent from here on. */
export async function groupAtEndEnv(stack: StackEndpoints, svc: InputService, groupId: string): Promise<Record<string, string>> {
  await groupAtEnd(stack, groupId, [...SERVICE_INPUTS[svc]], svc === 'INGEST' ? ownRawTopic : undefined);
  return { [`CROSSTRACE_${svc}_GROUP_ID`]: groupId, [`CROSSTRACE_${svc}_FROM_BEGINNING`]: 'true' };
}

/** A test's reader of `topics` in a new group (named after `name`) that starts at their end as it
 *  is now (groupAtEnd), however late its first fetch: connected and subscribed, to be run. */
/** What a pipeline test's beforeAll needs first: the pipeline's topics (6 partitions, as the
 *  services expect them), the registry subjects it writes or reads, and a Kafka client named for
 *  the test. */
export async function pipelineReady(stack: StackEndpoints, name: string, subjects: string[]): Promise<{ kafka: Kafka; registry: RegistryClient }> {
  const kafka = testKafka(name, stack.kafkaBrokers, stack.kafkaClientProperties);
  const admin = kafka.admin();
  await admin.connect();
  try { await ensureTopics(admin, pipelineTopics(6, [])); } finally { await admin.disconnect(); }
  const registry = createRegistryClient({ url: stack.schemaRegistryUrl });
  await registry.ensureSubjects(subjects);
  return { kafka, registry };
}

export async function readerAtEnd(kafka: Kafka, stack: StackEndpoints, name: string, topics: string[], maxWaitTimeInMs = 100): Promise<Consumer> {
  const groupId = uniqueGroup(name);
  await groupAtEnd(stack, groupId, topics);
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true }); // from where groupAtEnd put it
  return consumer;
}
