// The window write of one normalised event (flows.norm / sessions.norm), from the routing
// headers ingest sets: what the correlator indexes, and what a window rebuild replays.
import { permanent } from '../common/errors.ts';
import { headerString, type ConsumedMessage } from '../common/kafka.ts';
import { TOPICS } from '../common/topics.ts';
import { encodeStored, type IndexRequest, type StoredKind } from './window-store.ts';

/** The routing headers ingest sets on a normalised record (window key, uid, event time, when
 *  it was first produced), read once for every consumer of flows.norm / sessions.norm; a
 *  message without them is permanent (dead-lettered). */
export interface RoutedRecord { windowKey: string; uid: string; time: number; producedAt: number; value: Buffer }

/** Latest time a routing header may carry, UTC ms (9999-12-31T23:59:59.999Z): beyond it a date
 *  has no ISO form (the archive's day partitions, PostgreSQL's timestamptz through the binary
 *  COPY) and would fail every batch it lands in as if the database were down. */
export const MAX_ROUTED_TIME_MS = 253_402_300_799_999;

export function routedRecordOf(m: ConsumedMessage): RoutedRecord {
  const uid = headerString(m.headers, 'ct-uid');
  const time = Number(headerString(m.headers, 'ct-time'));
  const origin = headerString(m.headers, 'ct-origin-ts');
  const producedAt = origin === '' ? m.timestamp : Number(origin);
  if (!m.key || m.key.length === 0) throw permanent('CT_MISSING_FIELD', 'normalised event has no key (window key)');
  if (!m.value || m.value.length === 0) throw permanent('CT_EMPTY_VALUE', 'normalised event has no value');
  if (!uid || !Number.isFinite(time)) throw permanent('CT_MISSING_FIELD', 'normalised event lacks the ct-uid / ct-time headers ingest sets');
  if (!Number.isSafeInteger(time) || time < 0 || time > MAX_ROUTED_TIME_MS) throw permanent('CT_IMPOSSIBLE_TIME', `normalised event has a ct-time outside 0..${MAX_ROUTED_TIME_MS} ms (${time})`);
  if (!Number.isSafeInteger(producedAt) || producedAt < 0 || producedAt > MAX_ROUTED_TIME_MS) throw permanent('CT_IMPOSSIBLE_TIME', `normalised event has a ct-origin-ts outside 0..${MAX_ROUTED_TIME_MS} ms (${origin})`);
  return { windowKey: m.key.toString('utf8'), uid, time, producedAt, value: m.value };
}

/** The window write of a normalised record. */
export function indexRequestOf(m: ConsumedMessage): IndexRequest {
  const { windowKey, uid, time, producedAt, value } = routedRecordOf(m);
  let kind: StoredKind = 'session';
  if (m.topic === TOPICS.flowsNorm) {
    const dir = headerString(m.headers, 'ct-dir');
    if (dir !== 'in' && dir !== 'out') throw permanent('CT_MISSING_FIELD', `flow lacks a valid ct-dir header (got ${JSON.stringify(dir)})`);
    kind = dir === 'in' ? 'flow-in' : 'flow-out';
  }
  return { key: windowKey, uid: kind === 'session' ? uid : `${uid}:${kind}`, time, payload: encodeStored({ kind, producedAt, value }) };
}
