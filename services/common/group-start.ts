// Where a new consumer group starts: at the current end of its topics, committed before its
// first member joins. "From the end" as kafkajs does it (fromBeginning false, no commit)
// resolves "latest" at the group's first fetch of each partition, which can come seconds after
// the member says it joined (on a topic created moments before, ListOffsets answers NOT_LEADER
// and is retried): records produced meanwhile are skipped for good. A group whose offsets are
// committed here reads exactly what comes after this call, however late its first fetch, and a
// member restarted later resumes from its own commits. Used by the integration tests
// (test/support/services.ts groupAtEnd) and the chaos run (deploy/chaos/main.ts).
import type { Admin } from 'kafkajs';
import { retrying } from './backoff.ts';

export type GroupStartAdmin = Pick<Admin, 'fetchTopicOffsets' | 'fetchTopicMetadata' | 'setOffsets' | 'fetchOffsets'>;

export interface CommitAtEndOptions {
  /** How long a retriable refusal (no leader yet, coordinator loading) is retried, ms. Default 30 000. */
  waitMs?: number;
  /** Between retries, ms. Default 250. */
  retryMs?: number;
}

/**
 * Commits `groupId`'s offset of every partition of `topics` at its end now (its high
 * watermark; 0 for an empty partition), checks that the group reads those offsets back, and
 * returns them as `topic/partition` -> offset. The group must have no members (kafkajs'
 * setOffsets refuses otherwise). kafkajs' resetOffsets is no substitute: it commits the sentinel
 * -1, which a joining member reads as "no offset" and resolves at its first fetch again.
 */
export async function commitAtEnd(admin: GroupStartAdmin, groupId: string, topics: readonly string[], o: CommitAtEndOptions = {}): Promise<Map<string, string>> {
  const retry = retriably(o.waitMs ?? 30_000, o.retryMs ?? 250);
  const out = new Map<string, string>();
  for (const topic of topics) {
    const ends = await retry(() => admin.fetchTopicOffsets(topic), () => admin.fetchTopicMetadata({ topics: [topic] }));
    const partitions = ends.map((p) => ({ partition: p.partition, offset: p.high }));
    await retry(() => admin.setOffsets({ groupId, topic, partitions }));
    const [got] = await retry(() => admin.fetchOffsets({ groupId, topics: [topic] }));
    const missed = partitions.filter((p) => got?.partitions.find((x) => x.partition === p.partition)?.offset !== p.offset);
    if (missed.length > 0) throw new Error(`group ${groupId}: the end of ${topic} partitions ${missed.map((p) => p.partition).join(', ')} was not committed`);
    for (const p of partitions) out.set(`${topic}/${p.partition}`, p.offset);
  }
  return out;
}

/** A step run again while it fails retriably (kafkajs' `retriable`), for up to `waitMs`;
 *  `between` (a metadata refresh: kafkajs gives up on NOT_LEADER at once) runs before each wait. */
function retriably(waitMs: number, retryMs: number) {
  return <T>(step: () => Promise<T>, between?: () => Promise<unknown>): Promise<T> => {
    const until = Date.now() + waitMs;
    return retrying(step, {
      retriable: (e) => (e as { retriable?: boolean }).retriable === true,
      shouldStop: () => Date.now() > until,
      onRetry: async () => { await between?.().catch(() => undefined); },
      initialMs: retryMs, maxMs: retryMs,
    });
  };
}
