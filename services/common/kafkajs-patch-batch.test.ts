import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Batch, batchPatchApplied, originalModule } from './kafkajs-patch.ts';

const require_ = createRequire(import.meta.url);
type B = { messages: unknown[]; messagesWithinOffset: unknown[]; firstOffset(): string | null; lastOffset(): string; offsetLag(): string; isEmpty(): boolean };
const KafkajsBatch = originalModule<new (t: string, o: string, p: unknown) => B>('consumer/batch.js');

describe('kafkajs consumer Batch patch (offsets compared as numbers)', () => {
  it('is what kafkajs loads', () => {
    expect(batchPatchApplied).toBe(true);
    expect(require_('kafkajs/src/consumer/batch.js')).toBe(Batch);
  });

  it('keeps and reports exactly what kafkajs\' Batch does', () => {
    const ctx = { producerId: '1', inTransaction: false };
    const msgs = (offsets: string[]) => offsets.map((offset) => ({ offset, key: null, value: Buffer.from('v'), isControlRecord: offset === '12', batchContext: ctx }));
    const cases: [string, string[]][] = [
      ['10', ['8', '9', '10', '11', '12', '13']],
      ['0', []],
      ['9007199254740993', ['9007199254740992', '9007199254740993', '9007199254740994']], // beyond 2^53: Long
      ['5', ['9007199254740993']],
    ];
    for (const [fetched, offsets] of cases) {
      const data = { partition: 3, highWatermark: '20', abortedTransactions: [], messages: msgs(offsets) };
      const mine = new Batch('t', fetched, data) as unknown as B;
      const theirs = new KafkajsBatch('t', fetched, data);
      expect(mine.messagesWithinOffset).toEqual(theirs.messagesWithinOffset);
      expect(mine.messages).toEqual(theirs.messages);
      expect([mine.firstOffset(), mine.lastOffset(), mine.offsetLag(), mine.isEmpty()]).toEqual([theirs.firstOffset(), theirs.lastOffset(), theirs.offsetLag(), theirs.isEmpty()]);
    }
  });
});
