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
// has carried them holds it back until it carries them again: a quiet exporter (a few hosts, so
// a few keys) leaves relay lookups on its hosts unsettled (AMBIGUOUS, never a wrong subscriber)
// once its records of an earlier time reached a partition its later ones do not; a watermark
// record ingest would send to every partition per exporter would lift that (not built).

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
