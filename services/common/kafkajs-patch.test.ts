import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { crc32C, crcPatchApplied, decodeRecord, encodeRecordHeader, ensureAvailable, groupMessagesPerPartition, kafkajsRequestQueue, makeRecordEncoder, murmur2, murmurPatchApplied, producePatchApplied, recordPatchApplied, scheduleCheckPendingRequests } from './kafkajs-patch.ts';

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

  // records as the producer makes them: ct-* headers, unicode, empty and null key, a repeated
  // header (array), a big value, and a timestamp delta past 32 bits (kafkajs' own encoder)
  const records = [
    { offsetDelta: 0, timestampDelta: 0, key: Buffer.from('fr|198.51.100.17'), value: Buffer.alloc(160, 7), headers: { 'ct-origin-ts': '1764600000000', 'ct-uid': 'fr-flow-1/é-f1', 'ct-time': '1764599990000', 'ct-dir': 'in' } },
    { offsetDelta: 1, timestampDelta: 37, key: 'k-é', value: 'v', headers: {} },
    { offsetDelta: 2, timestampDelta: -5, key: null, value: null },
    { offsetDelta: 300, timestampDelta: 70_000, key: Buffer.alloc(0), value: Buffer.alloc(20_000, 1), headers: { a: Buffer.from([0, 255]), b: ['x', 'y'] } },
    { offsetDelta: 3, timestampDelta: 2 ** 33, key: 'k', value: 'v', headers: { n: 'long path' } },
    { offsetDelta: 4, timestampDelta: 2 ** 50 + 3, key: 'k', value: 'v', headers: { n: 'beyond 7 varint bytes' } },
  ];
  const kafkajsRecord = () => original<(r: unknown) => { buffer: Buffer }>('protocol/recordBatch/record/v0/index.js');

  it('is what kafkajs loads for records', () => {
    expect(recordPatchApplied).toBe(true);
    expect(require_('kafkajs/src/protocol/recordBatch/record/v0/decoder.js')).toBe(decodeRecord);
  });

  it('encodes records to the same bytes as kafkajs', () => {
    const mine = makeRecordEncoder(kafkajsRecord()) as (r: unknown) => { buffer: Buffer };
    for (const r of records) expect(mine(r).buffer as unknown).toEqual(kafkajsRecord()(r).buffer);
    expect(require_('kafkajs/src/protocol/recordBatch/record/v0/index.js')(records[0]).buffer as unknown).toEqual(kafkajsRecord()(records[0]).buffer);
  });

  it('decodes records exactly like kafkajs, repeated headers as arrays', () => {
    const Decoder = require_('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => { readVarInt(): number; offset: number };
    const kafkajs = original<(d: unknown, c: unknown) => unknown>('protocol/recordBatch/record/v0/decoder.js');
    // offsets and timestamps beyond 2^53 take kafkajs' Long path; small ones the number path
    for (const ctx of [{ firstOffset: '10', firstTimestamp: '1764600000000', magicByte: 2, timestampType: 0 }, { firstOffset: '0', firstTimestamp: '1', timestampType: 1, maxTimestamp: '99' },
      { firstOffset: '9007199254740993', firstTimestamp: '9223372036854775000', timestampType: 0 }, { firstOffset: '7', firstTimestamp: '-5', timestampType: 0 }]) {
      for (const r of records) {
        const bytes = kafkajsRecord()(r).buffer;
        const read = (f: (d: unknown, c: unknown) => unknown) => { const d = new Decoder(bytes); d.readVarInt(); return f(d, ctx); };
        expect(read(decodeRecord as (d: unknown, c: unknown) => unknown)).toEqual(read(kafkajs));
      }
    }
    const d = new Decoder(kafkajsRecord()(records[3]).buffer);
    d.readVarInt();
    expect(decodeRecord(d as never, { firstOffset: '0', firstTimestamp: '0' }).headers).toEqual({ a: Buffer.from([0, 255]), b: [Buffer.from('x'), Buffer.from('y')] });
  });

  it('hashes keys to the same partitions as kafkajs\' murmur2, and is what its default partitioner uses', () => {
    expect(murmurPatchApplied).toBe(true);
    expect(require_('kafkajs/src/producer/partitioners/default/murmur2.js')).toBe(murmur2);
    const kafkajs = original<(k: unknown) => number>('producer/partitioners/default/murmur2.js');
    const keys: unknown[] = ['', 'a', 'ab', 'abc', 'abcd', 'fr-telecom|100.64.3.7', '198.51.100.17', '6:2001:db8:20::/48', 'k-é', '😀x', 'x'.repeat(252), 'y'.repeat(253), 'z'.repeat(300), 'é'.repeat(126), 'é'.repeat(127), '😀'.repeat(64), '\ud800', 42,
      Buffer.from('fr|198.51.100.17'), Buffer.alloc(0), Buffer.from([255, 254, 253, 128, 0, 1, 127])];
    for (let i = 0; i < 300; i++) keys.push(Buffer.from(Array.from({ length: i % 40 }, (_, j) => (i * 31 + j * 17) & 255)), `${i}.${i * 7}.${i % 13}-${'z'.repeat(i % 9)}`);
    for (const k of keys) expect(murmur2(k), String(k)).toBe(kafkajs(k));
    const Partitioner = (require_('kafkajs') as { Partitioners: { DefaultPartitioner: () => (a: unknown) => number } }).Partitioners.DefaultPartitioner();
    expect(Partitioner({ topic: 't', partitionMetadata: [0, 1, 2, 3, 4, 5].map((partitionId) => ({ partitionId, leader: 0 })), message: { key: 'fr-telecom|100.64.3.7' } }))
      .toBe((kafkajs('fr-telecom|100.64.3.7') & 0x7fffffff) % 6);
  });

  it('checksums record batches with the same CRC-32C as kafkajs, and is what its record batch uses', () => {
    expect(crcPatchApplied).toBe(true);
    expect(require_('kafkajs/src/protocol/recordBatch/crc32C/index.js')).toBe(crc32C);
    const kafkajs = original<(b: Buffer) => number>('protocol/recordBatch/crc32C/index.js');
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283); // the CRC-32C check value
    for (let len = 0; len < 300; len++) {
      const b = Buffer.from(Array.from({ length: len }, (_, j) => (len * 131 + j * 29 + (j >> 3)) & 255));
      expect(crc32C(b), `length ${len}`).toBe(kafkajs(b));
      if (len > 9) expect(crc32C(b.subarray(3, len - 2))).toBe(kafkajs(b.subarray(3, len - 2)));
    }
    const big = Buffer.alloc(100_003, 0xa5);
    expect(crc32C(big)).toBe(kafkajs(big));
  });

  it('grows encoders without zero-filling and writes the same bytes as kafkajs\' own Encoder', () => {
    type Enc = { buffer: Buffer; writeInt32(v: number): Enc; writeString(v: string): Enc; writeBytes(v: Buffer): Enc; writeVarIntBytes(v: Buffer): Enc; writeInt64(v: number): Enc };
    const Patched = require_('kafkajs/src/protocol/encoder.js') as (new () => Enc) & { prototype: { ensureAvailable: unknown } };
    expect(Patched.prototype.ensureAvailable).toBe(ensureAvailable);
    const Kafkajs = original<new () => Enc>('protocol/encoder.js');
    const fill = (e: Enc) => {
      for (let i = 0; i < 3000; i++) e.writeInt32(i).writeString(`s-${i}-é`).writeBytes(Buffer.alloc(i % 700, i & 255)).writeVarIntBytes(Buffer.from([i & 255])).writeInt64(i * 1e6);
      return e.buffer;
    };
    expect(fill(new Patched())).toEqual(fill(new Kafkajs()));
  });
});

