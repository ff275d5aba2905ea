// The flow watermark (event time): per flow exporter, the export time up to which its flow
// records have been indexed into the windows. The correlator advances it only after the
// records are indexed (correlator/pipeline.ts); the tracer reads it to decide whether a relay
// lookup's silence is evidence (tracer/domain/relay-settling.ts). Pure.
//
// flows.norm is keyed by window key, so one exporter's records spread over every partition and
// each partition is indexed at its own pace: the mark is kept per (exporter, partition) and an
// exporter's watermark is the minimum over the partitions that carried its records. It holds
// because an exporter's records reach flows.raw in export order (one raw key per exporter, IPFIX
// export order) and ingest keeps that order into each flows.norm partition: once a record
// exported at t is indexed from partition p, every earlier record of that exporter in p is too.
// What it does not see: a partition that has not carried the exporter's records since Redis was
// (re)built does not hold the watermark back (stated in README, The tracing model). And one that
// has carried them would hold it back until it carried them again — a quiet exporter (a few
// hosts, so a few keys) would leave relay lookups on its hosts unsettled (AMBIGUOUS) once its
// earlier records reached a partition its later ones do not — were it not for the watermark
// records below: ingest follows each exporter's batch of flow records with one in every
// partition the batch did not reach (at most once a second, a lag behind: ingest/pipeline.ts),
// so every partition moves with the exporter's export time. A mark's claim holds for records
// that reach flows.raw in export order up to that lag (CROSSTRACE_INGEST_FLOW_MARK_LAG_MS, 60 s).

import type { IHeaders } from 'kafkajs';
import { headerString } from '../common/kafka.ts';

/** Redis hash of the marks: field "<exporterId>|<partition>" -> export time, UTC ms. */
export const FLOW_MARKS_KEY = 'ct:flowmark';

export const markField = (exporterId: string, partition: number): string => `${exporterId}|${partition}`;

/** One indexed flow record, as far as the watermark cares. */
export interface FlowMarkSample { exporterId: string; partition: number; exportTime: number }

/** The marks a batch of indexed flow records advances: per field, the latest export time. */
export function batchMarks(samples: Iterable<FlowMarkSample>): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (!Number.isFinite(s.exportTime)) continue;
    const f = markField(s.exporterId, s.partition);
    if (s.exportTime > (out.get(f) ?? -Infinity)) out.set(f, s.exportTime);
  }
  return out;
}

/** Each exporter's watermark from the stored hash: the minimum over its partitions. */
export function exporterWatermarks(hash: Readonly<Record<string, string>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [field, v] of Object.entries(hash)) {
    const cut = field.lastIndexOf('|');
    const ms = Number(v);
    if (cut <= 0 || !Number.isFinite(ms)) continue;
    const e = field.slice(0, cut);
    out.set(e, Math.min(out.get(e) ?? Infinity, ms));
  }
  return out;
}

/** Headers of a watermark record on flows.norm (ingest): no key, no value; the
 *  exporter, and the export time up to which its records before this one in this partition
 *  reach. Ingest sends one to every partition an exporter's batch of flow records did not reach
 *  (ingest/pipeline.ts), after the batch's records, so a partition its records reach rarely (a
 *  quiet exporter: a few hosts) no longer holds its watermark back for good. */
export const FLOW_MARK_HEADER = 'ct-flowmark';
export const FLOW_MARK_TIME_HEADER = 'ct-flowmark-time';

/** The watermark a flows.norm record carries when it is a watermark record (no value, the two
 *  headers), else null: correlator, rebuild and archive take it for no event. */
export function flowMarkOf(m: { partition: number; value: Buffer | null; headers: IHeaders }): FlowMarkSample | null {
  if (m.value !== null && m.value !== undefined) return null;
  const exporterId = headerString(m.headers, FLOW_MARK_HEADER);
  if (exporterId === '') return null;
  const exportTime = Number(headerString(m.headers, FLOW_MARK_TIME_HEADER));
  return { exporterId, partition: m.partition, exportTime };
}

/** The watermark records for one exporter's batch: one to each partition its records did not
 *  reach, at the latest export time of the batch. */
export function flowMarkMessages(exporterId: string, exportTime: number, partitions: number, reached: ReadonlySet<number>): { key: null; value: null; partition: number; headers: Record<string, string> }[] {
  const out: { key: null; value: null; partition: number; headers: Record<string, string> }[] = [];
  const time = String(exportTime);
  for (let p = 0; p < partitions; p++) if (!reached.has(p)) out.push({ key: null, value: null, partition: p, headers: { [FLOW_MARK_HEADER]: exporterId, [FLOW_MARK_TIME_HEADER]: time } });
  return out;
}
