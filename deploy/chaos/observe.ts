// What the chaos run reads from Kafka: the trace and audit topics from where they ended when
// the run began (read committed, as partners read them), and each service group's progress.
import type { Admin, Kafka } from 'kafkajs';
import type { Disclosure, SignedTraceUpdate, TraceUpdate } from '../../schemas/types.gen.ts';
import type { RegistryClient } from '../../services/common/registry.ts';
import { replayTopics } from '../../services/common/topic-replay.ts';
import { TOPICS } from '../../services/common/topics.ts';
import type { Observed } from './checks.ts';

const VIEW_TOPIC = /^trace\.updates\.([A-Z]{2})$/;
const AUDIT_FEED = /^audit\.disclosures\.([A-Z]{2})$/;

/** `fn` again while Kafka answers retriably (a topic just created has no leader yet), 30 s at most. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try { return await fn(); } catch (e) {
      if (i >= 60 || !(e as { retriable?: boolean }).retriable) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** End offsets of `topics` now, `topic/partition` -> offset. */
export async function endOffsets(admin: Admin, topics: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const t of topics) for (const p of await retrying(() => admin.fetchTopicOffsets(t))) out.set(`${t}/${p.partition}`, p.high);
  return out;
}

/** Deletes every record of `topics` up to their end now (the admin's DeleteRecords); returns
 *  how many were deleted. */
export async function deleteUpToEnd(admin: Admin, topics: string[]): Promise<number> {
  let n = 0;
  for (const topic of topics) {
    const offsets = await retrying(() => admin.fetchTopicOffsets(topic));
    const partitions = offsets.filter((p) => Number(p.high) > Number(p.low)).map((p) => ({ partition: p.partition, offset: p.high }));
    n += offsets.reduce((a, p) => a + Number(p.high) - Number(p.low), 0);
    if (partitions.length) await retrying(() => admin.deleteTopicRecords({ topic, partitions }));
  }
  return n;
}

export const observedTopics = async (admin: Admin): Promise<string[]> =>
  [TOPICS.traceUpdates, TOPICS.audit, ...(await admin.listTopics()).filter((t) => VIEW_TOPIC.test(t) || AUDIT_FEED.test(t))];

/** Everything committed on the trace and audit topics since `from` (a topic not in it: from its start). */
export async function readObserved(o: { kafka: Kafka; admin: Admin; registry: RegistryClient; from: Map<string, string> }): Promise<Observed> {
  const topics = await observedTopics(o.admin);
  const raw = new Map<string, { partition: number; offset: number; value: Buffer }[]>();
  await replayTopics({
    kafka: o.kafka, admin: o.admin, topics,
    startOffset: async (topic, partition) => o.from.get(`${topic}/${partition}`),
    onBatch: async (topic, partition, messages) => {
      const l = raw.get(topic) ?? [];
      for (const m of messages) if (m.value) l.push({ partition, offset: Number(m.offset), value: m.value });
      raw.set(topic, l);
    },
  });
  const sorted = (t: string) => (raw.get(t) ?? []).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const updates: TraceUpdate[] = [];
  for (const m of sorted(TOPICS.traceUpdates)) updates.push(await o.registry.decode<TraceUpdate>(TOPICS.traceUpdates, m.value));
  const audit: Disclosure[] = [];
  for (const m of sorted(TOPICS.audit)) audit.push(await o.registry.decode<Disclosure>(TOPICS.audit, m.value));
  const views = new Map<string, TraceUpdate[]>();
  for (const t of topics) {
    const cc = VIEW_TOPIC.exec(t)?.[1];
    if (!cc) continue;
    const l: TraceUpdate[] = [];
    for (const m of sorted(t)) l.push((await o.registry.decode<SignedTraceUpdate>(t, m.value)).update);
    views.set(cc, l);
  }
  const auditFeeds = new Map<string, Disclosure[]>();
  for (const t of topics) {
    const cc = AUDIT_FEED.exec(t)?.[1];
    if (!cc) continue;
    const l: Disclosure[] = [];
    for (const m of sorted(t)) l.push(await o.registry.decode<Disclosure>(t, m.value));
    auditFeeds.set(cc, l);
  }
  return { updates, views, audit, auditFeeds };
}

export interface GroupProgress { group: string; topic: string; partition: number; committed: number; end: number }

/** Committed offset and end offset of every partition the groups read. */
export async function groupProgress(admin: Admin, groups: string[]): Promise<GroupProgress[]> {
  const out: GroupProgress[] = [];
  for (const group of groups) {
    for (const t of await admin.fetchOffsets({ groupId: group })) {
      const ends = new Map((await admin.fetchTopicOffsets(t.topic)).map((p) => [p.partition, Number(p.high)]));
      for (const p of t.partitions) out.push({ group, topic: t.topic, partition: p.partition, committed: Number(p.offset), end: ends.get(p.partition) ?? 0 });
    }
  }
  return out;
}

const lagOf = (p: GroupProgress): number => (p.committed < 0 ? p.end : Math.max(0, p.end - p.committed));
export const totalLag = (ps: GroupProgress[]): number => ps.reduce((a, p) => a + lagOf(p), 0);

/**
 * Partitions stuck between the samples: each got new records, has records waiting at both
 * samples and committed nothing between them, in a group that committed nothing on any of its
 * partitions between them (stuck, not busy: a group that commits on some partitions while
 * others wait for their turn is working through a backlog; kafkajs fetches again only when
 * every batch of the last fetch is handled, so a handler that hangs stops its whole group).
 * A partition held by a hung handler while the group still moves is what the stage's own
 * /healthz lists (stage-health.ts). (A partition that got nothing new may show a lag of its
 * transactions' control records, which no consumer commits past: the stage's own /healthz
 * tells whether records wait there.)
 */
export function stalledBetween(a: GroupProgress[], b: GroupProgress[]): GroupProgress[] {
  const before = new Map(a.map((p) => [`${p.group}|${p.topic}/${p.partition}`, p]));
  const moved = new Set(b.filter((p) => { const q = before.get(`${p.group}|${p.topic}/${p.partition}`); return q !== undefined && p.committed !== q.committed; }).map((p) => p.group));
  return b.filter((p) => {
    const q = before.get(`${p.group}|${p.topic}/${p.partition}`);
    return q !== undefined && !moved.has(p.group) && p.end > q.end && lagOf(q) > 0 && lagOf(p) > 0 && p.committed === q.committed;
  });
}
