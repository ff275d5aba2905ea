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
// elsewhere.
// A disclosure is dated when it is made: every update of one publish gets the publisher's
// clock as its publishedAt, and its audit records that time as disclosedAt (partners check
// both are equal). The engine's time of an update (when the chain changed) is not the time of
// its disclosure: passes of different traces publish in another order than they made their
// updates, and a test's fixed clock must not leak into chains the stack shares. Time never goes
// backwards along a chain (partners refuse a record dated before its predecessor: a retired
// key's back-dated forgery looks like that), and the publisher never makes one: with its clock
// behind a chain's head it waits when the gap is short (CLOCK_WAIT_MS: a clock stepped back),
// and otherwise refuses the publish (CT_AUDIT_CLOCK_BEHIND, retried; the tracer turns unhealthy)
// rather than back-date it or date it forward: one record dated ahead must not move every later
// date of the chain, nor of every chain sharing an update with it.
// Key rotation: a chain whose head a retired key of this node signed (`retiredKeyIds`, from the
// trust file) first gets a rotation record from the current key (audit-chain.ts rotationFields),
// dated after the rotation: whatever the retired key signs afterwards is then dated before its
// predecessor (refused) or forks the chain (flagged). `sealChains` does it at start for every
// audit topic, so a chain with no disclosure since the rotation is closed too; a publish does
// it for the chains it touches.
// A failed transaction may leave kafkajs' transactional producer unusable: after any failure
// the producer is disconnected and a new one (same transactional id: the broker fences and
// aborts what the old one left open) is made for the next publish.
import { createHash, type KeyObject } from 'node:crypto';
import type { Admin, Producer } from 'kafkajs';
import type { Disclosure, SignedTraceUpdate, TraceUpdate } from '../../schemas/types.gen.ts';
import { sleep } from '../common/backoff.ts';
import { CrosstraceError, dependencyDown } from '../common/errors.ts';
import { ensureTopics, sendChunked } from '../common/kafka.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import type { RegistryClient } from '../common/registry.ts';
import { createSerialQueue } from '../common/serial-queue.ts';
import { TOPICS, auditTopic, jurisdictionTopic, jurisdictionTopics } from '../common/topics.ts';
import { createAuditChain, rotationFields } from '../partner/domain/audit-chain.ts';
import { audiencesOf, viewsFor } from './domain/disclosure.ts';
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
  /** The clock disclosures are dated by (default Date.now). */
  now?: () => number;
  /** Keys this node signed with before, rotated out (trust file): a chain whose head one of
   *  them signed gets a rotation record from `key` first. */
  retiredKeyIds?: readonly string[];
}

/** A clock this far behind a chain's head is waited for (a step back); further, the publish is refused, ms. */
export const CLOCK_WAIT_MS = 2_000;
const AUDIT_FEED = /^audit\.disclosures\.([A-Z]{2})$/;
const iso = (t: number): string => new Date(t).toISOString();

/** A producer failing this long (no publish succeeded since) makes the tracer unhealthy, ms. */
const UNHEALTHY_AFTER_MS = 15_000;

export async function createPublisher(d: PublisherDeps) {
  const now = d.now ?? Date.now;
  const retired = new Set(d.retiredKeyIds ?? []);
  const known = new Set<string>();
  const disclosureType = d.registry.typeOf('Disclosure');
  /** audience -> its audit chain, continuing the head committed on audit.disclosures.<CC>. */
  const chains = new Map<string, ReturnType<typeof createAuditChain>>();
  let producer: Producer | undefined = await d.newProducer();
  /** Set by a failed publish: the head must be re-read and the producer made again. */
  let failedSince: number | undefined;
  let lastError: string | undefined;
  /** A failure after which the producer is made again and the heads re-read (a refused date is not one). */
  let mustRecover = false;

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
    mustRecover = false;
  }

  /** The time of a disclosure to `ccs` now: the clock, once it is not behind any of their
   *  chains' heads (waited for up to CLOCK_WAIT_MS; refused beyond). */
  async function dateAfterHeads(ccs: string[]): Promise<number> {
    for (let waited = false; ; waited = true) {
      const at = now();
      const ahead = ccs.map((cc) => ({ cc, head: chains.get(cc)!.head().at ?? -Infinity })).sort((a, b) => b.head - a.head)[0];
      if (!ahead || at >= ahead.head) return at;
      const behind = ahead.head - at;
      if (waited || behind > CLOCK_WAIT_MS) {
        throw new CrosstraceError('CT_AUDIT_CLOCK_BEHIND', `the audit chain of ${ahead.cc} holds a record dated ${iso(ahead.head)}, the tracer's clock says ${iso(at)} (${behind} ms behind): `
          + 'a disclosure is dated when it is made and never before its chain\'s head, so nothing is published to it until the clock passes that record (a record dated ahead of the real time needs an operator)', { retriable: true });
      }
      await sleep(behind + 1);
    }
  }

  /** Rotation records, dated `at`, for those of `ccs` whose chain head a retired key signed. */
  function sealsFor(ccs: string[], at: number, signHash: (h: Buffer) => Buffer): Disclosure[] {
    return ccs.flatMap((cc) => {
      const chain = chains.get(cc)!;
      const was = chain.head().signerKeyId;
      if (was === undefined || !retired.has(was)) return [];
      return [chain.append(rotationFields({ audience: cc, retiredKeyId: was, signerKeyId: d.key.keyId, at }), (x) => disclosureType.toBuffer(x), signHash)];
    });
  }

  /** Writes one publish as one transaction. */
  async function commit(topicMessages: { topic: string; messages: { key: string; value: Buffer; headers?: Record<string, string> }[] }[]): Promise<void> {
    try {
      const tx = await producer!.transaction();
      try {
        await sendChunked(tx, topicMessages.filter((t) => t.messages.length > 0));
        await tx.commit();
      } catch (e) {
        await tx.abort().catch(() => undefined); // the broker aborts it on timeout otherwise
        throw e;
      }
    } catch (e) {
      throw dependencyDown('publishing trace updates failed', e);
    }
  }

  /** Runs `fn` as one publish: recovering first after a failure, noting failure for health. */
  async function guarded<T>(fn: () => Promise<T>): Promise<T> {
    try {
      if (mustRecover || !producer) {
        try { await recover(); } catch (e) { throw dependencyDown('recovering the publisher (new producer, audit head from Kafka) failed', e); }
      }
      const out = await fn();
      failedSince = undefined;
      lastError = undefined;
      return out;
    } catch (e) {
      failedSince ??= Date.now();
      lastError = (e as Error).message;
      // the chains were appended in memory (or the commit's outcome is unknown): re-read them;
      // a refused date appended nothing
      if ((e as { code?: string }).code !== 'CT_AUDIT_CLOCK_BEHIND') mustRecover = true;
      throw e;
    }
  }

  return {
    publish: (updates: TraceUpdate[]): Promise<void> => serial(() => guarded(() => publishNow(updates))),
    /** Writes a rotation record to every audit chain (audit.disclosures.<CC> topics) whose head a
     *  retired key signed; the tracer calls it at start. Returns those audiences. */
    sealChains: (): Promise<string[]> => serial(() => guarded(async () => {
      if (retired.size === 0) return [];
      const ccs = (await d.admin.listTopics()).flatMap((t) => AUDIT_FEED.exec(t)?.slice(1, 2) ?? []).sort();
      await chainsOf(ccs);
      const due = ccs.filter((cc) => retired.has(chains.get(cc)!.head().signerKeyId ?? ''));
      if (due.length === 0) return [];
      await ensureJurisdictionTopics(due);
      const at = await dateAfterHeads(due);
      const seals = sealsFor(due, at, (h) => Buffer.from(sign(h, d.key.privateKey)));
      const msg = (topic: string, r: Disclosure) => ({ key: 'key-rotation', value: d.registry.encode(topic, r) });
      await commit([...seals.map((r) => ({ topic: auditTopic(r.audience), messages: [msg(auditTopic(r.audience), r)] })), { topic: TOPICS.audit, messages: seals.map((r) => msg(TOPICS.audit, r)) }]);
      return due;
    })),
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
      const audiences = [...new Set(asked.flatMap(audiencesOf))];
      await ensureJurisdictionTopics(audiences);
      await chainsOf(audiences);
      const at = await dateAfterHeads(audiences); // disclosedAt = publishedAt = when it is disclosed
      const updates = asked.map((u) => (u.publishedAt === at ? u : { ...u, publishedAt: at }));
      const full = updates.map((u) => ({ key: u.traceId, value: d.registry.encode(TOPICS.traceUpdates, u), headers: { 'ct-decisive-ts': String(u.decisiveAt) } }));
      const perCc = new Map<string, { views: { key: string; value: Buffer }[]; audit: { key: string; value: Buffer }[] }>();
      const audit: { key: string; value: Buffer }[] = [];
      const views = updates.map((u) => viewsFor(u));
      const signHash = (h: Buffer): Buffer => Buffer.from(sign(h, d.key.privateKey));
      for (const rec of sealsFor(audiences, at, signHash)) { // a rotation record before the first disclosure of a new key
        perCc.set(rec.audience, { views: [], audit: [{ key: 'key-rotation', value: d.registry.encode(auditTopic(rec.audience), rec) }] });
        audit.push({ key: 'key-rotation', value: d.registry.encode(TOPICS.audit, rec) });
      }
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
      await commit([
        { topic: TOPICS.traceUpdates, messages: full },
        { topic: TOPICS.traceState, messages: full },
        ...[...perCc].flatMap(([cc, o]) => [{ topic: jurisdictionTopic(cc), messages: o.views }, { topic: auditTopic(cc), messages: o.audit }]),
        { topic: TOPICS.audit, messages: audit },
      ]);
      for (const u of updates) {
        d.metrics.updates.inc({ status: u.status });
        d.metrics.endToEnd.observe(Math.max(0, u.publishedAt - u.decisiveAt) / 1000);
      }
      d.metrics.stage.messagesOut.inc({ topic: TOPICS.traceUpdates }, updates.length);
  }
}

export type Publisher = Awaited<ReturnType<typeof createPublisher>>;
