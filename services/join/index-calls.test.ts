// The live path's index-many calls as bytes (window-store.ts writeIndexCalls): each call is the
// command ioredis sent before (EVALSHA <sha of the script's text> numkeys KEYS... ARGV...), the
// keys byte for byte what window-layout.ts names, by text the same call with EVAL <script>.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readReply, RespWriter } from '../common/resp.ts';
import { luaScript } from './lua-script.ts';
import { memberOf, partKeys, pinKey, waiterKeys } from './window-layout.ts';
import { encodeStored, writeIndexCalls, type IndexRequest } from './window-store.ts';

const req = (key: string, uid: string, time: number, kind: 'session' | 'flow-in'): IndexRequest =>
  ({ key, uid, time, payload: encodeStored({ kind, producedAt: time - 5, value: Buffer.from(`v-${uid}`) }) });

/** The calls in `bytes`, each as its arguments (Buffers). */
function commands(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let at = 0; at < bytes.length;) {
    const r = readReply(bytes, at)!;
    out.push(r.value as Buffer[]);
    at = r.end;
  }
  return out;
}

describe('index-many calls as RESP', () => {
  const retentionOf = (side: 'session' | 'flow') => (side === 'session' ? 7_200_000 : 3_600_000);
  const sessions = [req('a|192.0.2.1', 'x/1', 1000, 'session')];
  // two events of one window (its key written from the same bytes), then a window of non-ASCII text
  const flows = [req('a|2001:db8::1', 'x/2:flow-in', 2000, 'flow-in'), req('a|2001:db8::1', 'x/3:flow-in', 2001, 'flow-in'), req('ä|198.51.100.7', 'x/4:flow-in', 2002, 'flow-in')];
  const expected = (verb: string, script: string) => [
    [verb, script, '5', ...partKeys('a|192.0.2.1', 'session'), ...waiterKeys('a|192.0.2.1'), pinKey('a|192.0.2.1'), '7200000', '99']
      .map((x): Buffer => Buffer.from(x)).concat(sessions.flatMap((q) => [memberOf(q.uid), Buffer.from(String(q.time)), q.payload])),
    [verb, script, '15', ...flows.flatMap((q) => [...partKeys(q.key, 'flow'), ...waiterKeys(q.key), pinKey(q.key)]), '3600000', '99']
      .map((x): Buffer => Buffer.from(x)).concat(flows.flatMap((q) => [memberOf(q.uid), Buffer.from(String(q.time)), q.payload])),
  ];

  it('sends the script with its includes in place (index-many carries index-one, no include line left)', () => {
    const text = luaScript('index-many');
    expect(text).not.toMatch(/^--@include /m);
    expect(text).toContain('local function index_one(');
    expect(text).toContain('local function hmget_slices(');
  });

  it('sends EVALSHA with the keys and arguments of lua/index-many.lua', () => {
    const w = new RespWriter(16); // grows
    writeIndexCalls(w, [{ side: 'session', reqs: sessions }, { side: 'flow', reqs: flows }], retentionOf, 99, false);
    expect(w.commands).toBe(2);
    const sha = createHash('sha1').update(luaScript('index-many')).digest('hex');
    expect(commands(w.take())).toEqual(expected('EVALSHA', sha));
  });

  it('sends the script itself with EVAL, for a Redis that answered NOSCRIPT', () => {
    const w = new RespWriter(16);
    writeIndexCalls(w, [{ side: 'session', reqs: sessions }, { side: 'flow', reqs: flows }], retentionOf, 99, true);
    expect(commands(w.take())).toEqual(expected('EVAL', luaScript('index-many')));
  });
});
