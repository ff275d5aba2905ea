import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { encodeRecordHeader, groupMessagesPerPartition, kafkajsRequestQueue, producePatchApplied, scheduleCheckPendingRequests } from './kafkajs-patch.ts';

describe('kafkajs RequestQueue patch (idle 1 kHz loop on Node >= 24)', () => {
  const queue = (o: { throttledUntil?: number; pending?: unknown[] } = {}) => ({
    throttledUntil: o.throttledUntil ?? -1, throttleCheckTimeoutId: null as ReturnType<typeof setTimeout> | null,
    pending: o.pending ?? [], checkPendingRequests: vi.fn(), scheduleCheckPendingRequests,
  });

  it('is installed on the class kafkajs uses', () => {
    expect(kafkajsRequestQueue.prototype.scheduleCheckPendingRequests).toBe(scheduleCheckPendingRequests);
  });

  it('schedules nothing with nothing pending and no throttle, and checks pending requests otherwise', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const idle = queue();
      idle.scheduleCheckPendingRequests();
      expect(idle.throttleCheckTimeoutId).toBeNull();
      const pending = queue({ pending: [{}] });
      pending.scheduleCheckPendingRequests();
      vi.advanceTimersByTime(10);
      expect(pending.checkPendingRequests).toHaveBeenCalledTimes(1);
      const throttled = queue({ throttledUntil: Date.now() + 500 });
      throttled.scheduleCheckPendingRequests();
      vi.advanceTimersByTime(499);
      expect(throttled.checkPendingRequests).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(throttled.checkPendingRequests).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('kafkajs producer patches (quadratic grouping, 512-byte header encoders)', () => {
  const require_ = createRequire(import.meta.url);
  const kafkajsFile = (rel: string) => readFileSync(require_.resolve(`kafkajs/src/${rel}`), 'utf8');
  /** The module as kafkajs ships it, evaluated apart from the cache the patch filled. */
  function original<T>(rel: string): T {
    const m = { exports: {} as T };
    new Function('module', 'require', kafkajsFile(rel))(m, createRequire(require_.resolve(`kafkajs/src/${rel}`)));
    return m.exports;
  }

  it('is what kafkajs loads', () => {
    expect(producePatchApplied).toBe(true);
    expect(require_('kafkajs/src/producer/groupMessagesPerPartition.js')).toBe(groupMessagesPerPartition);
    expect(require_('kafkajs/src/protocol/recordBatch/header/v0/index.js')).toBe(encodeRecordHeader);
  });

  it('groups messages per partition exactly like kafkajs, in order', () => {
    const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` }));
    const partitioner = ({ message }: { message: { key: string } }) => Number(message.key.slice(1)) % 3;
    const args = { topic: 't', partitionMetadata: [{}, {}, {}], messages, partitioner };
    const kafkajs = original<typeof groupMessagesPerPartition>('producer/groupMessagesPerPartition.js');
    expect(groupMessagesPerPartition(args)).toEqual(kafkajs(args));
    expect(groupMessagesPerPartition({ ...args, partitionMetadata: [] })).toEqual({});
  });

  it('encodes record headers to the same bytes as kafkajs', () => {
    const kafkajs = original<(h: { key: string; value: unknown }) => { buffer: Buffer }>('protocol/recordBatch/header/v0/index.js');
    for (const h of [{ key: 'ct-uid', value: 'fr-flow-1/é-42' }, { key: 'ct-time', value: Buffer.from('1700000000000') }, { key: 'x'.repeat(600), value: 'y'.repeat(900) }]) {
      expect(encodeRecordHeader(h).buffer as unknown).toEqual(kafkajs(h).buffer);
    }
  });
});
