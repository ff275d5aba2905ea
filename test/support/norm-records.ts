// What ingest would publish on flows.norm / sessions.norm for raw records, built with ingest's
// own normalisation (window keys, ct-* headers) but without ingest's age limit: for tests that
// hand over records older than ingest accepts today (a provider's retained logs, handed over
// now). exportTime should be "now" (handed over now), or the clock-skew check flags it.
import type { Producer } from 'kafkajs';
import type { FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile } from '../../services/common/provider-directory.ts';
import type { RegistryClient } from '../../services/common/registry.ts';
import { TOPICS } from '../../services/common/topics.ts';
import { createClockSkewEstimator } from '../../services/ingest/domain/clock-skew.ts';
import { normaliseFlow, normaliseSession, type NormaliseContext } from '../../services/ingest/domain/normalise.ts';

const DAY = 86_400_000;

export function normContext(providersFile = 'deploy/providers.json'): NormaliseContext {
  const directory = createProviderDirectory(loadProvidersFile(providersFile));
  return {
    byExporter: directory.byExporter, byAddress: directory.byAddress, skew: createClockSkewEstimator(),
    opts: { futureToleranceMs: 300_000, retentionMs: 365 * DAY, maxSessionAgeMs: 365 * DAY, maxAcctDelaySeconds: 86_400, historyMs: 0 },
  };
}

type TopicMessages = { topic: string; messages: { key: string; value: Buffer; headers: Record<string, string> }[] }[];

/** The normalised copies of `sessions` and `flows` as ingest would publish them (one message
 *  per index key), ready to send (and to send again: a replay carries the same bytes). */
export function normalisedMessages(registry: RegistryClient, ctx: NormaliseContext,
  records: { sessions?: SessionEvent[]; flows?: FlowEvent[] }, receivedAt = Date.now()): TopicMessages {
  const topicMessages: TopicMessages = [];
  const add = (topic: string, uid: string, time: number, value: Buffer, keys: { key: string; dir: 'in' | 'out' | null }[]) => {
    const messages = keys.map((k) => ({ key: k.key, value, headers: { 'ct-origin-ts': String(receivedAt), 'ct-uid': uid, 'ct-time': String(time), ...(k.dir ? { 'ct-dir': k.dir } : {}) } }));
    topicMessages.push({ topic, messages });
  };
  for (const s of records.sessions ?? []) {
    const n = normaliseSession(s, receivedAt, ctx);
    add(TOPICS.sessionsNorm, `${s.exporterId}/${s.eventId}`, n.event.eventTime, registry.encode(TOPICS.sessionsNorm, n.event), n.keys);
  }
  for (const f of records.flows ?? []) {
    const n = normaliseFlow(f, receivedAt, ctx);
    add(TOPICS.flowsNorm, `${f.exporterId}/${f.eventId}`, n.event.startTime, registry.encode(TOPICS.flowsNorm, n.event), n.keys);
  }
  return topicMessages.filter((t) => t.messages.length > 0);
}

/** Sends normalised messages; returns how many. */
export async function sendMessages(producer: Producer, topicMessages: TopicMessages): Promise<number> {
  await producer.sendBatch({ topicMessages });
  return topicMessages.reduce((n, t) => n + t.messages.length, 0);
}

/** normalisedMessages + sendMessages. */
export const sendNormalised = (producer: Producer, registry: RegistryClient, ctx: NormaliseContext,
  records: { sessions?: SessionEvent[]; flows?: FlowEvent[] }, receivedAt = Date.now()): Promise<number> =>
  sendMessages(producer, normalisedMessages(registry, ctx, records, receivedAt));
