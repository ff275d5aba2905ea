import { describe, expect, it } from 'vitest';
import { batchMarks, exporterWatermarks, markField } from './flow-watermark.ts';

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
