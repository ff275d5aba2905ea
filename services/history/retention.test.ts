import { describe, expect, it } from 'vitest';
import { expiredPartitions } from './retention.ts';

describe('retention', () => {
  it('drops only day partitions whose whole day ended before the retention cutoff', () => {
    const now = Date.UTC(2026, 11, 1, 12); // cutoff with 180 days: 2026-06-04T12:00Z
    const names = ['flow_records_20260603', 'flow_records_20260604', 'flow_records_20260605', 'flow_records_20251231', 'flow_records', 'other_20200101'];
    expect(expiredPartitions(names, now, 180)).toEqual(['flow_records_20251231', 'flow_records_20260603']);
  });
});
