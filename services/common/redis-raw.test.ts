import { createServer, type Server, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { lazyRawRedis, openRawRedis, sendScriptCalls } from './redis-raw.ts';
import { RespError, RespWriter, type RespReply } from './resp.ts';

// A server that accepts and reads but answers only what `answer` says: a Redis host that stops
// answering without a reset looks like this from the client.
let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => { for (const s of sockets.splice(0)) s.destroy(); await new Promise((r) => (server ? server.close(r) : r(undefined))); server = undefined; });
async function silentRedis(answer: (chunk: Buffer) => string | undefined): Promise<number> {
  server = createServer((s) => { sockets.push(s); s.on('data', (c) => { const a = answer(c); if (a) s.write(a); }); });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}
const clientOn = (port: number) => Object.assign(new EventEmitter(), { options: { host: '127.0.0.1', port } }) as unknown as Redis;

describe('openRawRedis', () => {
  it('answers requests in order', async () => {
    const port = await silentRedis(() => '+OK\r\n:7\r\n');
    const raw = await openRawRedis(clientOn(port));
    const w = new RespWriter(64).command('SET', 'a', '1').command('INCR', 'b');
    expect(await raw.send(w.take(), 2)).toEqual(['OK', 7]);
    raw.close();
  });

  it('fails a request Redis never answers, instead of waiting for good, and every later one on that connection', async () => {
    const port = await silentRedis(() => undefined);
    const raw = await openRawRedis(clientOn(port), { replyTimeoutMs: 150 });
    const t0 = Date.now();
    await expect(raw.send(new RespWriter(64).command('PING').take(), 1)).rejects.toThrow(/no full answer to 1 commands after 150 ms/);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await expect(raw.send(new RespWriter(64).command('PING').take(), 1)).rejects.toThrow(/no full answer/);
  });

  it('removes its listener from the ioredis client when it closes', async () => {
    const port = await silentRedis(() => undefined);
    const client = clientOn(port);
    const raw = await openRawRedis(client);
    expect((client as unknown as EventEmitter).listenerCount('end')).toBe(1);
    raw.close();
    expect((client as unknown as EventEmitter).listenerCount('end')).toBe(0);
  });
});

describe('lazyRawRedis', () => {
  it('opens a connection at the first send, keeps it, and opens another after one failed', async () => {
    let opened = 0;
    server = createServer((s) => {
      sockets.push(s);
      const n = ++opened;
      // the first connection answers one PING, then resets; the second answers every one
      s.on('data', () => { if (n === 1 && s.bytesWritten > 0) s.destroy(); else s.write(`:${n}\r\n`); });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const raw = lazyRawRedis(clientOn((server.address() as { port: number }).port));
    const ping = () => raw.send(new RespWriter(64).command('PING').take(), 1);
    expect(await ping()).toEqual([1]);
    await expect(ping()).rejects.toThrow(/closed/);
    expect(await ping()).toEqual([2]);
    expect(await ping()).toEqual([2]);
    expect(opened).toBe(2);
  });
});

describe('sendScriptCalls', () => {
  // a raw connection that records what it was sent and answers from a list per send
  const fakeRaw = (answers: RespReply[][]) => {
    const sent: { text: string; commands: number }[] = [];
    return { sent, raw: { send: async (bytes: Buffer, commands: number) => { sent.push({ text: bytes.toString('latin1'), commands }); return answers.shift()!; } } };
  };
  const write = (w: RespWriter, calls: readonly string[], byText: boolean) => { for (const c of calls) w.command(byText ? 'EVAL' : 'EVALSHA', byText ? `text-${c}` : `sha-${c}`, 0); };

  it('sends every call once by SHA when Redis has the script', async () => {
    const { sent, raw } = fakeRaw([[1, 2, 3]]);
    expect(await sendScriptCalls(raw, ['a', 'b', 'c'], () => 64, write)).toEqual([1, 2, 3]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.commands).toBe(3);
  });

  it('sends again, with the text, only the calls refused with NOSCRIPT, and puts their replies in their places', async () => {
    const { sent, raw } = fakeRaw([[1, new RespError('NOSCRIPT No matching script'), 3, new RespError('NOSCRIPT No matching script')], [20, 40]]);
    expect(await sendScriptCalls(raw, ['a', 'b', 'c', 'd'], () => 64, write)).toEqual([1, 20, 3, 40]);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.commands).toBe(2);
    expect(sent[1]!.text).toContain('text-b');
    expect(sent[1]!.text).toContain('text-d');
    expect(sent[1]!.text).not.toContain('text-a');
    expect(sent[1]!.text).not.toContain('EVALSHA');
  });

  it('hands other refusals back as replies, not sent again', async () => {
    const { sent, raw } = fakeRaw([[new RespError('WRONGTYPE Operation against a key holding the wrong kind of value'), 2]]);
    const replies = await sendScriptCalls(raw, ['a', 'b'], () => 64, write);
    expect(replies[0]).toBeInstanceOf(RespError);
    expect(replies[1]).toBe(2);
    expect(sent).toHaveLength(1);
  });

  it('refuses a writer that wrote another number of commands than calls (the replies would not line up)', async () => {
    const { raw } = fakeRaw([[1]]);
    await expect(sendScriptCalls(raw, ['a', 'b'], () => 64, (w) => { w.command('PING'); })).rejects.toThrow(/1 commands written for 2 calls/);
  });
});
