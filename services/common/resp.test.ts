import { describe, expect, it } from 'vitest';
import { RespError, RespWriter, createReplyReader, encodeArg, encodeHead, readReply } from './resp.ts';

describe('RESP2 bytes', () => {
  it('writes commands as arrays of bulk strings, one buffer for many', () => {
    const w = new RespWriter(8); // grows
    w.command('HSETNX', 'ct:ev:{10.0.0.1}', 'é/1', Buffer.from([0, 13, 10, 255])).command('PEXPIRE', 'k', 5400000);
    w.array(2).arg('EXISTS').arg2(Buffer.from('ct:'), Buffer.from('pin'));
    w.array(2).arg('EXISTS').arg2(Buffer.from('ct:pin:{'), Buffer.from('k'), Buffer.from('}'));
    expect(w.commands).toBe(4);
    const out = w.take();
    expect(out.toString('latin1')).toBe('*4\r\n$6\r\nHSETNX\r\n$16\r\nct:ev:{10.0.0.1}\r\n$4\r\n\xc3\xa9/1\r\n$4\r\n\x00\r\n\xff\r\n'
      + '*3\r\n$7\r\nPEXPIRE\r\n$1\r\nk\r\n$7\r\n5400000\r\n*2\r\n$6\r\nEXISTS\r\n$6\r\nct:pin\r\n'
      + '*2\r\n$6\r\nEXISTS\r\n$10\r\nct:pin:{k}\r\n');
    expect(w.commands).toBe(0);
    expect(w.take().length).toBe(0);
    // a head and an argument encoded once give the same bytes
    w.begin(encodeHead(3, 'PEXPIRE')).raw(encodeArg('k')).arg(5400000);
    expect(w.commands).toBe(1);
    expect(w.take().toString('latin1')).toBe('*3\r\n$7\r\nPEXPIRE\r\n$1\r\nk\r\n$7\r\n5400000\r\n');
  });

  it('reads replies split anywhere across chunks, errors as values', () => {
    const bytes = Buffer.from(':1\r\n+OK\r\n-NOPERM no\r\n$3\r\na\r\n\r\n$-1\r\n*2\r\n:5\r\n*1\r\n$0\r\n\r\n:-3\r\n');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = createReplyReader();
      const got = [...r.feed(bytes.subarray(0, cut)), ...r.feed(bytes.subarray(cut))];
      expect(got.map((x) => (x instanceof RespError ? `E:${x.message}` : Buffer.isBuffer(x) ? `B:${x.toString('latin1')}` : x)))
        .toEqual([1, 'OK', 'E:NOPERM no', 'B:a\r\n', null, [5, [Buffer.from('')]], -3]);
    }
    expect(readReply(Buffer.from(':12'), 0)).toBeUndefined();
    expect(() => readReply(Buffer.from('?x\r\n'), 0)).toThrow(/not a RESP2 reply/);
  });

  it('writes ASCII and non-ASCII string arguments (plain and prefixed) as their UTF-8 bytes, also across growth', () => {
    const strings = ['', 'k', 'fr/fr-flow-1/run-f123', 'flows.raw/3/1234567', 'x'.repeat(300), 'y'.repeat(256), 'z'.repeat(257), `${'b'.repeat(300)}é`, 'é', `${'a'.repeat(40)}é`, 'naïve/1', '日本', '😀', '\u007f', '\u0080'];
    const head = Buffer.from('ct:dd:');
    const bulk = (b: Buffer) => Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')]);
    for (const initial of [1, 16, 1 << 16]) {
      const w = new RespWriter(initial);
      for (const s of strings) w.arg(s).prefixed(head, s);
      expect(w.take().equals(Buffer.concat(strings.flatMap((s) => [bulk(Buffer.from(s, 'utf8')), bulk(Buffer.concat([head, Buffer.from(s, 'utf8')]))])))).toBe(true);
    }
  });
});
