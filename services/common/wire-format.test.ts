import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { frame, frameWith, unframe } from './wire-format.ts';

describe('wire format', () => {
  const type = avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'id', type: 'string' }, { name: 'n', type: 'long' }, { name: 'b', type: ['null', 'bytes'] }] });

  it('frameWith writes the bytes frame(id, toBuffer(v)) writes, also past its scratch buffer', () => {
    const values = [
      { id: '', n: 0, b: null },
      { id: 'fr-flow-1/é-42', n: -1_764_600_000_000, b: Buffer.from([1, 2, 3]) },
      { id: 'x'.repeat(40_000), n: 2 ** 52, b: Buffer.alloc(100_000, 9) }, // grows the scratch
      { id: 'after the growth', n: 7, b: null },
    ];
    for (const v of values) {
      const framed = frameWith(77_000, type, v);
      expect(framed).toEqual(frame(77_000, type.toBuffer(v)));
      expect(type.fromBuffer(unframe(framed).body)).toEqual(v);
    }
  });
});
