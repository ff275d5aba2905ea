// Publishes trace updates: the full view to trace.updates and trace.state (compacted), and
// for each jurisdiction entitled to see the update a minimised view, signed with the node's
// Ed25519 key, to trace.updates.<CC>, with one hash-chained record per disclosure on
// audit.disclosures. The audit head (seq, hash) is kept in Redis so a restart continues the
// chain. Disclosures of one batch are appended in order. Everything one publish writes is one
// Kafka transaction: a produce that fails half-way is aborted, so no consumer (kafkajs reads
// committed records only) ever sees the views or audit records of a publish that is then
// re-made, and the audit chain cannot fork.
import { createHash, type KeyObject } from 'node:crypto';
import type { Admin, Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Disclosure, SignedTraceUpdate, TraceUpdate } from '../../schemas/types.gen.ts';
import { dependencyDown } from '../common/errors.ts';
import { ensureTopics, sendChunked } from '../common/kafka.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import type { RegistryClient } from '../common/registry.ts';
import { TOPICS, jurisdictionTopic } from '../common/topics.ts';
import { createAuditChain } from './domain/audit-chain.ts';
import { viewsFor } from './domain/disclosure.ts';
import { sign } from './domain/signing.ts';
import type { TracerMetrics } from './metrics.ts';

export interface PublisherDeps {
  /** Transactional (createTransactionalProducer): each publish is one transaction. */
  producer: Producer;
  admin: Admin;
  redis: Redis;
  registry: RegistryClient;
  directory: ProviderDirectory;
  key: { privateKey: KeyObject; keyId: string };
  metrics: TracerMetrics;
}

const HEAD = 'ct:audit:head';

export async function createPublisher(d: PublisherDeps) {
  const known = new Set<string>();
  const updateType = d.registry.typeOf('TraceUpdate');
  const disclosureType = d.registry.typeOf('Disclosure');
  const head = await d.redis.hgetall(HEAD);
  // the persisted head; after a failed produce the chain restarts from it, so the records
  // that never reached Kafka are re-made with the same seq and prevHash (no gap, no fork)
  let persisted: { seq: number; hash: Buffer } | undefined = head.seq ? { seq: Number(head.seq), hash: Buffer.from(head.hash ?? '', 'hex') } : undefined;
  let chain = createAuditChain(persisted);
  let lastSeq = 0;
  let lastHash: Buffer = Buffer.alloc(0);

  async function ensureJurisdictionTopics(ccs: string[]): Promise<void> {
    const missing = ccs.filter((cc) => !known.has(cc));
    if (missing.length === 0) return;
    await ensureTopics(d.admin, missing.map((cc) => ({ topic: jurisdictionTopic(cc), numPartitions: 1 })));
    await d.registry.ensureSubjects(missing.map(jurisdictionTopic));
    missing.forEach((cc) => known.add(cc));
  }

  // One publish at a time: the audit chain is appended and produced in one order, so the
  // records land on audit.disclosures in seq order even when partitions are processed
  // concurrently. (One tracer instance per node writes the chain; see README.)
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    publish: (updates: TraceUpdate[], now: number): Promise<void> => serial(() => publishNow(updates, now)),
    /** Resolves once every publish already asked for has committed or aborted: stop calls it
     *  before disconnecting the producer, so no transaction is left open (an open transaction
     *  holds back every read_committed reader of its partitions until it times out). */
    drain: (): Promise<void> => serial(async () => undefined),
  };

  async function publishNow(updates: TraceUpdate[], now: number): Promise<void> {
      if (updates.length === 0) return;
      const full = updates.map((u) => ({ key: u.traceId, value: d.registry.encode(TOPICS.traceUpdates, u), headers: { 'ct-decisive-ts': String(u.decisiveAt) } }));
      const perCc = new Map<string, { key: string; value: Buffer }[]>();
      const audit: { key: string; value: Buffer }[] = [];
      const views = updates.map((u) => viewsFor(u));
      await ensureJurisdictionTopics([...new Set(views.flatMap((v) => [...v.keys()]))]);
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i]!;
        for (const [cc, view] of views[i]!) {
          const bytes = updateType.toBuffer(view);
          const rec: Disclosure = chain.append({
            traceId: u.traceId, updateSeq: u.seq, audience: cc, legalBasis: u.legalBasis, caseReference: u.caseReference,
            hopIds: view.hops.map((h) => h.hopId), subscriberHandles: view.hops.filter((h) => h.subscriberHandle !== null).length,
            updateDigest: createHash('sha256').update(bytes).digest(), disclosedAt: now, signerKeyId: d.key.keyId,
          }, (x) => disclosureType.toBuffer(x));
          const signed: SignedTraceUpdate = { update: view, signerKeyId: d.key.keyId, signature: Buffer.from(sign(bytes, d.key.privateKey)), auditHash: rec.hash };
          const list = perCc.get(cc) ?? [];
          list.push({ key: u.traceId, value: d.registry.encode(jurisdictionTopic(cc), signed) });
          perCc.set(cc, list);
          audit.push({ key: u.traceId, value: d.registry.encode(TOPICS.audit, rec) });
          lastSeq = rec.auditSeq;
          lastHash = rec.hash;
          d.metrics.disclosures.inc({ audience: cc });
        }
      }
      try {
        const tx = await d.producer.transaction();
        try {
          await sendChunked(tx, [
            { topic: TOPICS.traceUpdates, messages: full },
            { topic: TOPICS.traceState, messages: full },
            ...[...perCc].map(([cc, messages]) => ({ topic: jurisdictionTopic(cc), messages })),
            ...(audit.length ? [{ topic: TOPICS.audit, messages: audit }] : []),
          ]);
          await tx.commit();
        } catch (e) {
          await tx.abort().catch(() => undefined); // the broker aborts it on timeout otherwise
          throw e;
        }
        if (audit.length) {
          await d.redis.hset(HEAD, 'seq', String(lastSeq), 'hash', lastHash.toString('hex'));
          persisted = { seq: lastSeq, hash: lastHash };
        }
      } catch (e) {
        chain = createAuditChain(persisted);
        throw dependencyDown('publishing trace updates failed', e);
      }
      for (const u of updates) {
        d.metrics.updates.inc({ status: u.status });
        d.metrics.endToEnd.observe(Math.max(0, u.publishedAt - u.decisiveAt) / 1000);
      }
      d.metrics.stage.messagesOut.inc({ topic: TOPICS.traceUpdates }, updates.length);
  }
}

export type Publisher = Awaited<ReturnType<typeof createPublisher>>;
