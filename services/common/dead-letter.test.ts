import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deadLetterMessage, readDeadLetter } from './dead-letter.ts';
import { permanent } from './errors.ts';

const src = (value: Buffer) => ({ key: Buffer.from('k1'), value, topic: 'flows.raw', partition: 3, offset: '42' });

describe('dead letters', () => {
  it('carry the original bytes and the reason and coordinates', () => {
    const m = deadLetterMessage('ingest', permanent('CT_BAD_MAGIC', 'first byte 0x7b'), src(Buffer.from('{"x":1}')), 5);
    const d = readDeadLetter({ key: m.key as Buffer, value: m.value, headers: m.headers });
    expect(d).toMatchObject({ stage: 'ingest', reasonCode: 'CT_BAD_MAGIC', sourceTopic: 'flows.raw', sourcePartition: 3, sourceOffset: '42', failedAt: 5, originalSha256: null, originalBytes: null });
    expect(d.originalValue?.toString()).toBe('{"x":1}');
  });

  it('an original too large for the broker is replaced by its SHA-256 and size; reason and coordinates stay', () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const m = deadLetterMessage('ingest', permanent('CT_OVERSIZED', 'too big'), src(big), 5);
    expect(m.value).toBeNull();
    const size = Object.entries(m.headers).reduce((n, [k, v]) => n + k.length + v.length, (m.key?.length ?? 0));
    expect(size).toBeLessThan(4096);
    const d = readDeadLetter({ key: m.key as Buffer, value: m.value, headers: m.headers });
    expect(d).toMatchObject({ reasonCode: 'CT_OVERSIZED', sourceTopic: 'flows.raw', sourceOffset: '42', originalBytes: big.length, originalValue: null });
    expect(d.originalSha256).toBe(createHash('sha256').update(big).digest('hex'));
    expect(d.originalKey?.toString()).toBe('k1');
  });
});
