import { describe, expect, it } from 'vitest';
import { createPublishedHops } from './published-hops.ts';

const hop = (hopId: string, content: string) => ({ hopId, value: Buffer.from(content) });
const ids = (hs: { hopId: string; value: Buffer }[]) => hs.map((h) => `${h.hopId}:${h.value.toString()}`);

describe('published hops', () => {
  it('leaves out an exact repeat of the version last published, and publishes a changed one (also a return to an older content)', () => {
    const p = createPublishedHops({ capacity: 10 });
    const a = p.begin([hop('x', 'c1'), hop('y', 'c1')]);
    expect(ids(a.publish)).toEqual(['x:c1', 'y:c1']);
    a.settle(true);
    const b = p.begin([hop('x', 'c1'), hop('y', 'c2')]);
    expect(ids(b.publish)).toEqual(['y:c2']);
    expect(b.suppressed).toBe(1);
    b.settle(true);
    expect(ids(p.begin([hop('y', 'c1')]).publish)).toEqual(['y:c1']); // c1, c2, c1: the last is c2
  });

  it('within one batch: a repeat of the batch\'s own version is left out, a change back is not', () => {
    const p = createPublishedHops({ capacity: 10 });
    p.begin([hop('x', 'c1')]).settle(true);
    const b = p.begin([hop('x', 'c2'), hop('x', 'c2'), hop('x', 'c1'), hop('x', 'c1')]);
    expect(ids(b.publish)).toEqual(['x:c2', 'x:c1']);
    b.settle(true);
    expect(p.begin([hop('x', 'c1')]).publish).toEqual([]);
  });

  it('remembers nothing of a batch whose produce failed: its retry publishes everything again', () => {
    const p = createPublishedHops({ capacity: 10 });
    const a = p.begin([hop('x', 'c1')]);
    a.settle(false);
    a.settle(true); // only the first settle counts
    expect(ids(p.begin([hop('x', 'c1')]).publish)).toEqual(['x:c1']);
  });

  it('neither suppresses nor remembers a hop id two batches carry at once (their order on trace.hops is unknown)', () => {
    const p = createPublishedHops({ capacity: 10 });
    p.begin([hop('x', 'c1')]).settle(true);
    const a = p.begin([hop('x', 'c2')]);
    const b = p.begin([hop('x', 'c1')]); // same as remembered, but x is in flight in a
    expect(ids(b.publish)).toEqual(['x:c1']);
    a.settle(true);
    b.settle(true);
    expect(ids(p.begin([hop('x', 'c1')]).publish)).toEqual(['x:c1']);
    expect(p.size()).toBe(0);
  });

  it('keeps the ids used last, up to its capacity; 0 publishes every hop', () => {
    const p = createPublishedHops({ capacity: 2 });
    p.begin([hop('a', '1'), hop('b', '1')]).settle(true);
    expect(p.begin([hop('a', '1')]).publish).toEqual([]); // a used: b is now the oldest
    p.begin([hop('c', '1')]).settle(true);
    expect(p.size()).toBe(2);
    expect(ids(p.begin([hop('a', '1'), hop('b', '1'), hop('c', '1')]).publish)).toEqual(['b:1']);
    const off = createPublishedHops({ capacity: 0 });
    off.begin([hop('a', '1')]).settle(true);
    expect(ids(off.begin([hop('a', '1')]).publish)).toEqual(['a:1']);
    expect(() => createPublishedHops({ capacity: -1 })).toThrow(/capacity/);
  });
});
