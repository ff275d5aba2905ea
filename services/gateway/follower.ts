// Feeds the trace book from Kafka: trace.requests (OPENs: owners and templates; EXTENDs queued), trace.state
// (authoritative owner, status, expiry), audit.disclosures (the audit ledger) and each served
// jurisdiction's trace.updates.<CC>. A jurisdiction's update reaches its book (and so its
// GET and stream) only after the same verification a partner client does: trusted signature,
// right audience, audit record present in a verified chain and recording exactly this view.
import type { Kafka } from 'kafkajs';
import type { TraceRequest, TraceUpdate } from '../../schemas/types.gen.ts';
import type { Logger } from '../common/logger.ts';
import type { RegistryClient } from '../common/registry.ts';
import { TOPICS, jurisdictionTopic } from '../common/topics.ts';
import { createAuditLedger } from '../partner/domain/audit-ledger.ts';
import { createUpdateVerifier, type Verdict } from '../partner/domain/update-verifier.ts';
import { readSignedUpdate } from '../partner/signed-update-reader.ts';
import { followTopics, type TopicFollower } from '../partner/topic-follower.ts';
import { readDisclosure } from '../partner/written-disclosure.ts';
import type { createReloadingTrust } from '../partner/trust-file.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { TraceBook } from './trace-book.ts';

export interface FollowerDeps {
  kafka: Kafka;
  registry: RegistryClient;
  book: TraceBook;
  trust: ReturnType<typeof createReloadingTrust>;
  jurisdictions: string[];
  auditGraceMs: number;
  metrics: GatewayMetrics;
  logger: Logger;
  groupId: string;
}

export async function followTraces(d: FollowerDeps): Promise<TopicFollower> {
  const disclosureType = d.registry.typeOf('Disclosure');
  const ledger = createAuditLedger((x) => disclosureType.toBuffer(x), d.trust.keys);
  const verifier = createUpdateVerifier<string>({ keys: d.trust.keys, findAudit: ledger.find, auditGraceMs: d.auditGraceMs });
  const ccOf = new Map(d.jurisdictions.map((cc) => [jurisdictionTopic(cc), cc]));
  let notesLogged = 0;
  let auditCaughtUp = (): boolean => false; // `handle` may run before followTopics returns
  let allCaughtUp = (): boolean => false;

  // rejections found while reading history are summarised once caught up; live ones are logged one by one
  let historyRejected: Map<string, number> | null = new Map();
  const apply = (v: Verdict<string>): void => {
    if (v.ok) { d.metrics.verified.inc({ jurisdiction: v.audience }); d.book.noteView(v.audience, v.signed); return; }
    d.metrics.rejected.inc({ jurisdiction: v.audience, reason: v.code });
    const k = `${v.audience} ${v.code}`;
    if (historyRejected) historyRejected.set(k, (historyRejected.get(k) ?? 0) + 1);
    else d.logger.warn({ jurisdiction: v.audience, traceId: v.signed.update.traceId, seq: v.signed.update.seq, offset: v.ref, code: v.code, reason: v.reason }, 'signed update rejected; not served');
  };
  const recheck = (): void => {
    for (const v of verifier.recheck(Date.now(), auditCaughtUp())) apply(v);
    d.metrics.awaitingAudit.set(verifier.waiting());
    if (historyRejected && allCaughtUp() && verifier.waiting() === 0) {
      if (historyRejected.size) d.logger.warn({ rejected: Object.fromEntries(historyRejected) }, 'signed updates on the topics\' history that did not verify (not served); see crosstrace_gateway_updates_rejected_total');
      historyRejected = null;
    }
  };

  async function handle(m: { topic: string; offset: string; value: Buffer | null }): Promise<void> {
    d.metrics.stage.messagesIn.inc({ topic: m.topic });
    if (m.value === null) return; // a tombstone on trace.state removes nothing the gateway needs
    if (m.topic === TOPICS.traceRequests) { d.book.noteRequest(await d.registry.decode<TraceRequest>(m.topic, m.value)); return; }
    if (m.topic === TOPICS.traceState) { d.book.noteState(await d.registry.decode<TraceUpdate>(m.topic, m.value)); return; }
    if (m.topic === TOPICS.audit) {
      const { record: rec, written } = await readDisclosure(d.registry, m.topic, m.value); // hashed as written, not re-encoded
      d.trust.ensure(rec.signerKeyId);
      ledger.add(rec, written);
      const notes = ledger.status().notes;
      for (; notesLogged < notes.length; notesLogged++) d.logger.info({ signerKeyId: notes[notesLogged]!.signerKeyId, note: notes[notesLogged]!.text }, 'audit chain');
      recheck();
      return;
    }
    const cc = ccOf.get(m.topic);
    if (!cc) return;
    const signed = await readSignedUpdate(d.registry, m.topic, m.value);
    d.trust.ensure(signed.signerKeyId);
    const v = verifier.submit(cc, signed, Date.now(), `${m.topic}@${m.offset}`);
    if (v) apply(v);
  }

  const follower = await followTopics({
    kafka: d.kafka, groupId: d.groupId, topics: [TOPICS.traceRequests, TOPICS.traceState, TOPICS.audit, ...ccOf.keys()], handle,
    onSkip: (m, err) => { d.metrics.skipped.inc({ topic: m.topic }); d.logger.warn({ err, topic: m.topic, offset: m.offset }, 'message skipped: does not decode'); },
    onRetry: (err, ms) => { d.metrics.stage.retries.inc({ reason: (err as { code?: string }).code ?? 'UNCLASSIFIED' }); d.logger.warn({ err, retryInMs: ms }, 'dependency down; retrying the same message'); },
  });
  auditCaughtUp = () => follower.caughtUp(TOPICS.audit);
  allCaughtUp = () => follower.caughtUp();
  const timer = setInterval(recheck, 1000);
  timer.unref();
  return { ...follower, stop: async () => { clearInterval(timer); await follower.stop(); } };
}
