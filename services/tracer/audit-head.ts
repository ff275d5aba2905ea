// The audit chain's head as Kafka committed it: the last record of audit.disclosures (one
// partition, read committed, so records of aborted transactions are not seen). The publisher
// reads it at start and after any failed publish, so the chain always continues from what
// partners can read — never from a copy (Redis) that may be behind, ahead or gone.
import type { Admin, Kafka } from 'kafkajs';
import type { Disclosure } from '../../schemas/types.gen.ts';
import { dependencyDown } from '../common/errors.ts';
import type { RegistryClient } from '../common/registry.ts';
import { TOPICS } from '../common/topics.ts';

/** `at`: the head record's disclosedAt (the next record may not be dated earlier);
 *  `signerKeyId`: the key that signed it (a retired key's head gets a rotation record). */
export interface AuditHead { seq: number; hash: Buffer; at: number; signerKeyId: string }

/** Offsets read back from the end at first; doubled while the span holds no committed record
 *  (it can hold only aborted records and transaction markers). */
const FIRST_SPAN = 256;
/** Gives up after this long (the broker is down: the caller retries), ms. */
const TIMEOUT_MS = 30_000;

export async function readAuditHead(d: { kafka: Kafka; admin: Admin; registry: RegistryClient; topic?: string }): Promise<AuditHead | undefined> {
  const topic = d.topic ?? TOPICS.audit;
  const [p] = await d.admin.fetchTopicOffsets(topic);
  if (!p) throw dependencyDown(`${topic} has no partition 0`, null);
  const low = Number(p.low);
  const high = Number(p.high);
  for (let span = FIRST_SPAN; ; span *= 2) {
    const from = Math.max(low, high - span);
    if (from >= high) return undefined;
    const last = await lastRecord(d, topic, from, high);
    if (last) return { seq: last.auditSeq, hash: last.hash, at: last.disclosedAt, signerKeyId: last.signerKeyId };
    if (from === low) return undefined;
  }
}

/** The committed record with the highest offset in [from, high), or undefined. */
async function lastRecord(d: { kafka: Kafka; admin: Admin; registry: RegistryClient }, topic: string, from: number, high: number): Promise<Disclosure | undefined> {
  const groupId = `crosstrace-audit-head-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const consumer = d.kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  let last: { offset: number; value: Buffer } | undefined;
  let reachedEnd = false;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (m.value && (!last || Number(m.offset) > last.offset)) last = { offset: Number(m.offset), value: m.value };
        // read committed: the batch ends at the last stable offset; past it only markers remain
        if (Number(batch.lastOffset()) >= high - 1 || Number(batch.highWatermark) <= Number(batch.lastOffset()) + 1) reachedEnd = true;
      },
    });
    consumer.seek({ topic, partition: 0, offset: String(from) });
    const deadline = Date.now() + TIMEOUT_MS;
    let quietSince = Date.now();
    let seen = -1;
    while (!reachedEnd) {
      if (Date.now() > deadline) throw dependencyDown(`reading the audit head from ${topic} took longer than ${TIMEOUT_MS} ms`, null);
      await new Promise((r) => setTimeout(r, 100));
      if ((last?.offset ?? -1) !== seen) { seen = last?.offset ?? -1; quietSince = Date.now(); }
      // nothing more arrives for 3 s: the rest of the span is markers or aborted records
      if (Date.now() - quietSince > 3_000) break;
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await d.admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return last ? d.registry.decode<Disclosure>(topic, last.value) : undefined;
}
