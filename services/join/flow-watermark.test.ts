import { describe, expect, it } from 'vitest';
import { batchMarks, exporterWatermarks, flowMarkMessages, flowMarkOf, markField } from './flow-watermark.ts';

describe('the flow watermark', () => {
  it('a batch advances each (exporter, partition) to its latest export time', () => {
    const m = batchMarks([
      { exporterId: 'fr-flow-1', partition: 0, exportTime: 10 }, { exporterId: 'fr-flow-1', partition: 0, exportTime: 30 },
      { exporterId: 'fr-flow-1', partition: 2, exportTime: 20 }, { exporterId: 'us-flow-1', partition: 0, exportTime: 5 },
    ]);
    expect(Object.fromEntries(m)).toEqual({ 'fr-flow-1|0': 30, 'fr-flow-1|2': 20, 'us-flow-1|0': 5 });
  });

  it('an exporter\'s watermark is the minimum over the partitions that carried its records (each is indexed at its own pace)', () => {
    const hash = { [markField('fr-flow-1', 0)]: '30', [markField('fr-flow-1', 2)]: '20', [markField('a|b', 1)]: '7', junk: '1', [markField('x', 0)]: 'NaN' };
    expect(Object.fromEntries(exporterWatermarks(hash))).toEqual({ 'fr-flow-1': 20, 'a|b': 7 });
    expect(exporterWatermarks({}).size).toBe(0);
  });
});

describe('flow watermark records (ingest -> flows.norm)', () => {
  it('go to every partition the batch did not reach, and read back as the exporter\'s mark there', () => {
    const out = flowMarkMessages('fr-flow-1', 1_700_000_000_000, 6, new Set([1, 4]));
    expect(out.map((m) => m.partition)).toEqual([0, 2, 3, 5]);
    for (const m of out) {
      expect(m.key).toBeNull();
      expect(m.value).toBeNull();
      expect(flowMarkOf({ partition: m.partition, value: null, headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)])) }))
        .toEqual({ exporterId: 'fr-flow-1', partition: m.partition, exportTime: 1_700_000_000_000 });
    }
    expect(flowMarkMessages('x', 1, 6, new Set([0, 1, 2, 3, 4, 5]))).toEqual([]);
  });
  it('a record with a value, or without the exporter header, is no mark', () => {
    expect(flowMarkOf({ partition: 0, value: Buffer.from([0]), headers: { 'ct-flowmark': 'x', 'ct-flowmark-time': '1' } })).toBeNull();
    expect(flowMarkOf({ partition: 0, value: null, headers: { 'ct-uid': 'x/1' } })).toBeNull();
  });
});
