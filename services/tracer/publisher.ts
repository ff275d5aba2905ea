// Publishes trace updates: the full view to trace.updates and trace.state (compacted), and
// for each jurisdiction entitled to see the update a minimised view to trace.updates.<CC>,
// signed with the node's Ed25519 key over the bytes it carries (signedBytes: the view,
// Confluent-framed), with one hash-chained, signed record per disclosure in that audience's
// own audit chain, on audit.disclosures.<CC> (what the partner reads) and on
// audit.disclosures (every audience's chain, for the node's auditors). Disclosures of one
// batch are appended in order. Everything one publish writes is one Kafka transaction: a
// produce that fails half-way is aborted, so no consumer (kafkajs reads committed records
// only) ever sees the views or audit records of a publish that is then re-made.
// The audit chains cannot fork: each head is what Kafka committed on audit.disclosures.<CC>
// (audit-head.ts), read on the first disclosure to that audience and again after ANY failed
// publish (a commit that succeeded but answered an error included), never a copy kept
// elsewhere. A disclosure's time is the update's publishedAt, not the clock, so a publish made
// again from the same updates writes the same bytes; a publishedAt earlier than its chain's head
// is raised to the head's time (datedInChainOrder: partners refuse a chain whose time goes back).
// A failed transaction may leave kafkajs' transactional producer unusable: after any failure
// the producer is disconnected and a new one (same transactional id: the broker fences and
// aborts what the old one left open) is made for the next publish.
import { createHash, type KeyObject } from 'node:crypto';
import type { Admin, Producer } from 'kafkajs';
import type { Disclosure, SignedTraceUpdate, TraceUpdate } from '../../schemas/types.gen.ts';
import { dependencyDown } from '../common/errors.ts';
import { ensureTopics, sendChunked } from '../common/kafka.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import type { RegistryClient } from '../common/registry.ts';
import { createSerialQueue } from '../common/serial-queue.ts';
import { TOPICS, auditTopic, jurisdictionTopic, jurisdictionTopics } from '../common/topics.ts';
import { createAuditChain } from '../partner/domain/audit-chain.ts';
import { audiencesOf, datedInChainOrder, viewsFor } from './domain/disclosure.ts';
import { sign } from '../partner/domain/signing.ts';
import type { AuditHead } from './audit-head.ts';
import type { TracerMetrics } from './metrics.ts';

export interface PublisherDeps {
  /** Makes a transactional producer (createTransactionalProducer): each publish is one
   *  transaction; called at start and after a failed publish. */
  newProducer(): Promise<Producer>;
  /** The committed head of an audit topic (audit-head.ts readAuditHead). */
  readHead(topic: string): Promise<AuditHead | undefined>;
  admin: Admin;
  registry: RegistryClient;
  directory: ProviderDirectory;
  key: { privateKey: KeyObject; keyId: string };
  metrics: TracerMetrics;
}

/** A producer failing this long (no publish succeeded since) makes the tracer unhealthy, ms. */
const UNHEALTHY_AFTER_MS = 15_000;

export async function createPublisher(d: PublisherDeps) {
  const known = new Set<string>();
  const disclosureType = d.registry.typeOf('Disclosure');
  /** audience -> its audit chain, continuing the head committed on audit.disclosures.<CC>. */
  const chains = new Map<string, ReturnType<typeof createAuditChain>>();
  let producer: Producer | undefined = await d.newProducer();
  /** Set by a failed publish: the head must be re-read and the producer made again. */
  let failedSince: number | undefined;
  let lastError: string | undefined;

  async function ensureJurisdictionTopics(ccs: string[]): Promise<void> {
    const missing = ccs.filter((cc) => !known.has(cc));
    if (missing.length === 0) return;
    await ensureTopics(d.admin, missing.flatMap(jurisdictionTopics));
    await d.registry.ensureSubjects(missing.flatMap((cc) => [jurisdictionTopic(cc), auditTopic(cc)]));
    missing.forEach((cc) => known.add(cc));
  }

  /** Chains of these audiences, their heads read from Kafka where not known yet. */
  async function chainsOf(ccs: string[]): Promise<void> {
    const missing = ccs.filter((cc) => !chains.has(cc));
    const heads = await Promise.all(missing.map((cc) => d.readHead(auditTopic(cc))));
    missing.forEach((cc, i) => chains.set(cc, createAuditChain(heads[i])));
  }

  // One publish at a time: the audit chain is appended and produced in one order, so the
  // records land on audit.disclosures in seq order even when partitions are processed
  // concurrently. (One tracer instance per node writes the chain; see README.)
  const queue = createSerialQueue();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => queue('publish', fn);

  /** After a failure: a new producer, and the head Kafka committed (the failed publish may
   *  have committed after all, or not at all; only Kafka knows). */
  async function recover(): Promise<void> {
    const old = producer;
    producer = undefined;
    if (old) await old.disconnect().catch(() => undefined);
    producer = await d.newProducer();
    chains.clear(); // heads are read again, from Kafka, on the next disclosure to each audience
  }

  return {
    publish: (updates: TraceUpdate[]): Promise<void> => serial(async () => {
      try { await publishNow(updates); } catch (e) {
        failedSince ??= Date.now(); // the chain was appended in memory: re-read before the next
        lastError = (e as Error).message;
        throw e;
      }
    }),
    /** /healthz details: not ok while publishes have failed for UNHEALTHY_AFTER_MS. */
    health: (now = Date.now()) => ({
      ok: failedSince === undefined || now - failedSince < UNHEALTHY_AFTER_MS,
      publisher: failedSince === undefined ? 'ok' : `failing since ${new Date(failedSince).toISOString()}: ${lastError}`,
    }),
    /** Disconnects the producer (after drain). */
    close: async (): Promise<void> => { const p = producer; producer = undefined; await p?.disconnect(); },
    /** Resolves once every publish already asked for has committed or aborted: stop calls it
     *  before disconnecting the producer, so no transaction is left open (an open transaction
     *  holds back every read_committed reader of its partitions until it times out). */
    drain: (): Promise<void> => serial(async () => undefined),
  };

  async function publishNow(asked: TraceUpdate[]): Promise<void> {
      if (asked.length === 0) return;
      if (failedSince !== undefined || !producer) {
        try { await recover(); } catch (e) { throw dependencyDown('recovering the publisher (new producer, audit head from Kafka) failed', e); }
      }
      const audiences = [...new Set(asked.flatMap(audiencesOf))];
      await ensureJurisdictionTopics(audiences);
      await chainsOf(audiences);
      const lastAt = new Map(audiences.flatMap((cc) => { const at = chains.get(cc)!.head().at; return at === undefined ? [] : [[cc, at] as const]; }));
      const updates = datedInChainOrder(asked, lastAt); // disclosedAt = publishedAt, never backwards along a chain
      const full = updates.map((u) => ({ key: u.traceId, value: d.registry.encode(TOPICS.traceUpdates, u), headers: { 'ct-decisive-ts': String(u.decisiveAt) } }));
      const perCc = new Map<string, { views: { key: string; value: Buffer }[]; audit: { key: string; value: Buffer }[] }>();
      const audit: { key: string; value: Buffer }[] = [];
      const views = updates.map((u) => viewsFor(u));
      const signHash = (h: Buffer): Buffer => Buffer.from(sign(h, d.key.privateKey));
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i]!;
        for (const [cc, view] of views[i]!) {
          const bytes = d.registry.encode(TOPICS.traceUpdates, view); // framed: the writer schema id travels with the signed bytes
          const rec: Disclosure = chains.get(cc)!.append({
            traceId: u.traceId, updateSeq: u.seq, audience: cc, legalBasis: u.legalBasis, caseReference: u.caseReference,
            hopIds: view.hops.map((h) => h.hopId), subscriberHandles: view.hops.filter((h) => h.subscriberHandle !== null).length,
            updateDigest: createHash('sha256').update(bytes).digest(), disclosedAt: u.publishedAt, signerKeyId: d.key.keyId,
          }, (x) => disclosureType.toBuffer(x), signHash);
          const signed: SignedTraceUpdate = { update: view, signerKeyId: d.key.keyId, signature: signHash(bytes), auditHash: rec.hash, signedBytes: bytes };
          const out = perCc.get(cc) ?? { views: [], audit: [] };
          out.views.push({ key: u.traceId, value: d.registry.encode(jurisdictionTopic(cc), signed) });
          out.audit.push({ key: u.traceId, value: d.registry.encode(auditTopic(cc), rec) });
          perCc.set(cc, out);
          audit.push({ key: u.traceId, value: d.registry.encode(TOPICS.audit, rec) });
          d.metrics.disclosures.inc({ audience: cc });
        }
      }
      try {
        const tx = await producer!.transaction();
        try {
          await sendChunked(tx, [
            { topic: TOPICS.traceUpdates, messages: full },
            { topic: TOPICS.traceState, messages: full },
            ...[...perCc].flatMap(([cc, o]) => [{ topic: jurisdictionTopic(cc), messages: o.views }, { topic: auditTopic(cc), messages: o.audit }]),
            ...(audit.length ? [{ topic: TOPICS.audit, messages: audit }] : []),
          ]);
          await tx.commit();
        } catch (e) {
          await tx.abort().catch(() => undefined); // the broker aborts it on timeout otherwise
          throw e;
        }
      } catch (e) {
        throw dependencyDown('publishing trace updates failed', e);
      }
      failedSince = undefined;
      lastError = undefined;
      for (const u of updates) {
        d.metrics.updates.inc({ status: u.status });
        d.metrics.endToEnd.observe(Math.max(0, u.publishedAt - u.decisiveAt) / 1000);
      }
      d.metrics.stage.messagesOut.inc({ topic: TOPICS.traceUpdates }, updates.length);
  }
}

export type Publisher = Awaited<ReturnType<typeof createPublisher>>;
