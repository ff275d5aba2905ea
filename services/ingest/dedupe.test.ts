import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RespWriter } from '../common/resp.ts';
import { writeDedupeCalls } from './dedupe.ts';

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
