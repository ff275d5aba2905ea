// The archive stage: a consumed batch of sessions.norm or flows.norm becomes one history-store
// transaction. Records that cannot be read (no routing headers, undecodable Avro) go to
// dlq.archive with the reason (the stage wrapper, common/stage.ts); a database or registry
// outage fails the batch, which the consumer loop retries without committing offsets (nothing
// lost, nothing dead-lettered).
import { flowMarkOf } from '../join/flow-watermark.ts';
import type { Producer } from 'kafkajs';
import type { FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import { dependencyDown, permanent } from '../common/errors.ts';
import { routedRecordOf } from '../join/index-request.ts';
import { headerString, type ConsumedMessage } from '../common/kafka.ts';
import type { Logger } from '../common/logger.ts';
import type { RegistryClient } from '../common/registry.ts';
import { wrapStage } from '../common/stage.ts';
import { TOPICS } from '../common/topics.ts';
import { flowRow, sessionRows, type RecordMeta } from './domain/archive-rows.ts';
import type { HistoryBatch, HistoryWriter } from './history-writer.ts';
import type { ArchiveMetrics } from './metrics.ts';

export interface ArchiveDeps {
  writer: Pick<HistoryWriter, 'write'>;
  registry: RegistryClient;
  producer: Producer;
  metrics: ArchiveMetrics;
  logger: Logger;
  now?: () => number;
}

/** The routing headers ingest sets (index-request.ts); a message without them, or with a
 *  negative event time, cannot be placed in the history. */
export function recordMetaOf(m: ConsumedMessage): RecordMeta {
  const { windowKey, uid, time: at, producedAt, value } = routedRecordOf(m);
  if (at < 0) throw permanent('CT_MISSING_FIELD', `normalised record has a negative ct-time (${at})`);
  return { windowKey, uid, at, producedAt, value };
}

export function createArchivePipeline(d: ArchiveDeps) {
  const now = d.now ?? Date.now;

  /** The record's rows added to the batch; false when its writer schema is not fetched yet
   *  (then rowsOf, which fetches it). Decoded at once: no promise per record. */
  function rowsNow(m: ConsumedMessage, batch: HistoryBatch): boolean {
    if (m.topic === TOPICS.flowsNorm && flowMarkOf(m)) return true; // a watermark record (ingest): no event
    const meta = recordMetaOf(m);
    if (m.topic === TOPICS.flowsNorm) {
      const dir = headerString(m.headers, 'ct-dir');
      if (dir !== 'in' && dir !== 'out') throw permanent('CT_MISSING_FIELD', `flow lacks a valid ct-dir header (got ${JSON.stringify(dir)})`);
      const ev = d.registry.decodeKnown<FlowEvent>(TOPICS.flowsNorm, m.value);
      if (ev === undefined) return false;
      batch.flows.push(flowRow(meta, dir, ev));
    } else {
      const ev = d.registry.decodeKnown<SessionEvent>(TOPICS.sessionsNorm, m.value);
      if (ev === undefined) return false;
      const { record, intervals } = sessionRows(meta, ev);
      batch.sessions.push(record);
      for (const i of intervals) batch.intervals.push(i);
    }
    return true;
  }

  async function rowsOf(m: ConsumedMessage, batch: HistoryBatch): Promise<void> {
    if (m.topic === TOPICS.flowsNorm && flowMarkOf(m)) return;
    await d.registry.decode(m.topic === TOPICS.flowsNorm ? TOPICS.flowsNorm : TOPICS.sessionsNorm, m.value);
    rowsNow(m, batch);
  }

  const handle = wrapStage({ stage: 'archive', producer: d.producer, metrics: d.metrics.stage, logger: d.logger, now }, async (msgs, records) => {
    const batch: HistoryBatch = { sessions: [], intervals: [], flows: [] };
    for (const m of msgs) if (records.readNow(m, () => rowsNow(m, batch)) === false) await records.read(m, () => rowsOf(m, batch));
    const rows = batch.sessions.length + batch.flows.length;
    if (rows === 0) return;
    const end = d.metrics.batchSeconds.startTimer();
    let r;
    try { r = await d.writer.write(batch); } catch (e) {
      // the database refused the data itself: not retried; the consumer loop reruns the batch
      // one record at a time and dead-letters the record(s) refused
      const state = String((e as { code?: unknown }).code ?? '');
      if (/^2[23]/.test(state)) throw permanent('CT_ARCHIVE_REJECTED', `the history store refused the batch (SQLSTATE ${state}): ${(e as Error).message}`, { cause: e });
      d.metrics.databaseUp.set(0);
      throw dependencyDown(`writing ${rows} rows to the history store failed: ${(e as Error).message}`, e);
    }
    end();
    d.metrics.databaseUp.set(1);
    d.metrics.batchRows.observe(rows);
    d.metrics.rows.inc({ table: 'session_records' }, r.sessionsNew);
    d.metrics.rows.inc({ table: 'flow_records' }, r.flowsNew);
    d.metrics.replayed.inc({ table: 'session_records' }, batch.sessions.length - r.sessionsNew);
    d.metrics.replayed.inc({ table: 'flow_records' }, batch.flows.length - r.flowsNew);
  });
  return { handle };
}
