// One produce request in flight per stage: what the stage's partition handlers hand in while a
// request is under way goes out together in the next one (the pattern of createCommitter in
// kafka.ts, for produce). A consumer handles up to 12 partitions' batches at once, and each
// produced its output in a request of its own: ingest sent ~12 produce requests per fetch, and
// each woke every downstream consumer's waiting fetch (correlator, archive) for a few records.
// No timer: a send with nothing in flight goes at once, so the decisive-event path waits for no
// linger; a send that waits would have queued behind the request in flight anyway (the broker
// handles one request per connection at a time). Requests stay within `maxBytes` of keys and
// values (a merge never passes it; one call larger than it, already cut by sendChunked, goes
// alone). Order is kept: calls go out in the order they came, a topic's messages in call order.
// Each caller's promise settles with the request its messages went in: a failure rejects every
// caller in it (each retries its own batch, handlers are idempotent).
import type { BatchSender, OutTopicMessages } from './kafka.ts';

interface Waiting { topicMessages: OutTopicMessages[]; bytes: number; resolve(): void; reject(e: unknown): void }

/** Bytes of a call's keys and values, counted as sendChunked counts them. */
export function sendBytes(topicMessages: OutTopicMessages[]): number {
  let n = 0;
  for (const t of topicMessages) for (const m of t.messages) n += (m.value?.length ?? 0) + (m.key?.length ?? 0) + 64;
  return n;
}

/** The calls' messages by topic (first appearance order), each topic's in call order. */
function merged(calls: Waiting[]): OutTopicMessages[] {
  const byTopic = new Map<string, OutTopicMessages['messages']>();
  for (const c of calls) {
    for (const t of c.topicMessages) {
      const list = byTopic.get(t.topic);
      if (list) list.push(...t.messages); else byTopic.set(t.topic, [...t.messages]);
    }
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

export function coalesceSends(producer: BatchSender, maxBytes = 512 * 1024): BatchSender & { requests(): number } {
  let queue: Waiting[] = [];
  let busy = false;
  let requests = 0;
  async function drain(): Promise<void> {
    busy = true;
    while (queue.length > 0) {
      let n = 0;
      let size = 0;
      while (n < queue.length && (n === 0 || size + queue[n]!.bytes <= maxBytes)) size += queue[n++]!.bytes;
      const calls = queue.slice(0, n);
      queue = queue.slice(n);
      requests++;
      try {
        await producer.sendBatch({ topicMessages: calls.length === 1 ? calls[0]!.topicMessages : merged(calls) });
        for (const c of calls) c.resolve();
      } catch (e) {
        for (const c of calls) c.reject(e);
      }
    }
    busy = false;
  }
  return {
    /** Produce requests sent so far (for tests and benches). */
    requests: () => requests,
    sendBatch({ topicMessages }) {
      const done = new Promise<void>((resolve, reject) => { queue.push({ topicMessages, bytes: sendBytes(topicMessages), resolve, reject }); });
      if (!busy) void drain();
      return done;
    },
  };
}
