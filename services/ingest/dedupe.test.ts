import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createReplyReader, RespWriter } from '../common/resp.ts';
import { createDedupe, writeDedupeCalls } from './dedupe.ts';

describe('dedupe script calls as RESP', () => {
  const lua = readFileSync(new URL('./dedupe.lua', import.meta.url), 'utf8');
  const sha = createHash('sha1').update(lua).digest('hex');
  const items = Array.from({ length: 1203 }, (_, i) => ({ eventId: `fr-telecom/fr-flow-${i % 3}/é-${i}`, coordinates: `flows.raw/${i % 6}/${1_000_000 + i}` }));

  it('writes one EVALSHA per 500 keys: KEYS ct:dd:<id>, ARGV the window then the coordinates', () => {
    const w = new RespWriter(64);
    writeDedupeCalls(w, items, 600_000);
    expect(w.commands).toBe(3);
    const want = new RespWriter(64);
    for (const chunk of [items.slice(0, 500), items.slice(500, 1000), items.slice(1000)]) {
      want.command('EVALSHA', sha, chunk.length, ...chunk.map((it) => `ct:dd:${it.eventId}`), 600_000, ...chunk.map((it) => it.coordinates));
    }
    expect(w.take()).toEqual(want.take());
  });

  it('sends the script itself when asked (NOSCRIPT)', () => {
    const w = new RespWriter(64);
    writeDedupeCalls(w, items.slice(0, 2), 1000, true);
    const want = new RespWriter(64).command('EVAL', lua, 2, `ct:dd:${items[0]!.eventId}`, `ct:dd:${items[1]!.eventId}`, 1000, items[0]!.coordinates, items[1]!.coordinates);
    expect(w.take()).toEqual(want.take());
  });
});

describe('dedupe after a script refusal (a Redis speaking RESP on a local socket)', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => { for (const x of sockets.splice(0)) x.destroy(); await new Promise((r) => (server ? server.close(r) : r(undefined))); server = undefined; });

  it('sends again, by text, only the call Redis refused with NOSCRIPT, and answers each item from its own call', async () => {
    // answers each script call with, per key, `prev-<key>` for even positions and nil for odd
    // ones; refuses the second EVALSHA it sees (NOSCRIPT), as a Redis whose cache was flushed
    // between two calls of one batch would
    const seen: { name: string; firstKey: string; keys: number }[] = [];
    server = createServer((sock) => {
      sockets.push(sock);
      const reader = createReplyReader();
      sock.on('data', (chunk) => {
        for (const req of reader.feed(chunk)) {
          const args = (req as Buffer[]).map((b) => b.toString('utf8'));
          const keys = args.slice(3, 3 + Number(args[2]));
          seen.push({ name: args[0]!, firstKey: keys[0]!, keys: keys.length });
          if (args[0] === 'EVALSHA' && seen.filter((x) => x.name === 'EVALSHA').length === 2) { sock.write('-NOSCRIPT No matching script. Please use EVAL.\r\n'); continue; }
          sock.write(`*${keys.length}\r\n${keys.map((k, j) => (j % 2 === 0 ? `$${Buffer.byteLength(`prev-${k}`)}\r\nprev-${k}\r\n` : '$-1\r\n')).join('')}`);
        }
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const client = Object.assign(new EventEmitter(), { options: { host: '127.0.0.1', port } }) as unknown as Redis;
    const items = Array.from({ length: 1200 }, (_, i) => ({ eventId: `fr-flow-1/e${i}`, coordinates: `flows.raw/0/${i}` }));

    const answers = await createDedupe(client, { windowMs: 60_000 }).remember(items);

    expect(seen.map((x) => [x.name, x.firstKey, x.keys])).toEqual([
      ['EVALSHA', 'ct:dd:fr-flow-1/e0', 500], ['EVALSHA', 'ct:dd:fr-flow-1/e500', 500], ['EVALSHA', 'ct:dd:fr-flow-1/e1000', 200],
      ['EVAL', 'ct:dd:fr-flow-1/e500', 500],
    ]);
    expect(answers).toEqual(items.map((it, i) => ((i % 500) % 2 === 0 ? `prev-ct:dd:${it.eventId}` : null)));
    client.emit('end');
  });
});
