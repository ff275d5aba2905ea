// Which watermark records ingest sends after a batch of flow records (join/flow-watermark.ts):
// per flow exporter of the batch, one to every flows.norm partition its records did not reach,
// at the batch's latest export time less `lagMs`, at most once every `everyMs` per exporter
// (wall clock). An exporter whose records reached every partition needs none (each partition's
// own records move its mark), and with one partition there is nothing to fill in.
// Why the lag: an exporter's raw records are in export order but for a batch the collector
// retries after later ones (record-sink.ts) or a slow clock's estimate starting again at a
// restart (clock-skew.ts); a mark never moves back, so a partition its records do reach keeps
// their own later mark. Fewer marks cost only how soon lookups settle.
import { keyPartition } from '../common/kafkajs-patch.ts';
import { flowMarkMessages } from '../join/flow-watermark.ts';

export type FlowMarkMessage = ReturnType<typeof flowMarkMessages>[number];

export function createFlowMarker(o: { lagMs: number; everyMs: number }) {
  /** per exporter, when its last watermark records were made (in memory) */
  const markedAt = new Map<string, number>();
  return {
    /** A marker for one batch over `partitions` flows.norm partitions: `see` each flow record's
     *  exporter, export time and window keys (a key's partition is kafkajs' default
     *  partitioner's, asked only until the exporter's records reached every partition; a record
     *  with no key, neither address its provider's, still counts for the exporter's time), then
     *  `marks(now)` after the batch's records. */
    batch(partitions: number) {
      const exporters = new Map<string, { time: number; reached: Set<number> }>();
      return {
        /** Whether the batch's records are followed by marks at all (more than one partition). */
        active: partitions > 1,
        see(exporterId: string, exportTime: number, keys: readonly { key: string }[]): void {
          if (partitions <= 1) return;
          let ex = exporters.get(exporterId);
          if (!ex) exporters.set(exporterId, ex = { time: exportTime, reached: new Set() });
          else if (exportTime > ex.time) ex.time = exportTime;
          for (const k of keys) if (ex.reached.size < partitions) ex.reached.add(keyPartition(k.key, partitions));
        },
        marks(now: number): FlowMarkMessage[] {
          const out: FlowMarkMessage[] = [];
          for (const [exporterId, ex] of exporters) {
            if (!Number.isFinite(ex.time) || ex.reached.size >= partitions || now - (markedAt.get(exporterId) ?? -Infinity) < o.everyMs) continue;
            markedAt.set(exporterId, now);
            out.push(...flowMarkMessages(exporterId, ex.time - o.lagMs, partitions, ex.reached));
          }
          return out;
        },
      };
    },
  };
}
