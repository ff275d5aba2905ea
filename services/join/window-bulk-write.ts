// The window rebuild's bulk write (state-rebuild.ts): the same window state index-one.lua
// leaves for these events, without a script per event and without touching waiters, sent as
// one RESP buffer per batch on a connection of its own as the same Redis user (redis-raw.ts):
// ioredis's command objects and their garbage were over half of Node's CPU in the rebuild.
//
// Per window part (window-layout.ts): HSETNX per event (the first payload of a member wins, as
// in index-one), one ZADD NX of all its members (the first score wins; index-one adds a member
// only with its new hash field), and, the first time `seen` meets the part, the TTL a new part
// gets: window-ttl.lua, for up to TTL_CHUNK parts per call, reads the pin and sets PEXPIRE
// 1.5 x retention (or PERSIST when a preservation order pins the window) in one step. Not done
// here: trimming (the caller leaves out events older than the retention) and waking waiters
// (nobody waits on windows being rebuilt; a lookup reads them once the marker is back).
import type { Redis } from 'ioredis';
import { lazyRawRedis } from '../common/redis-raw.ts';
import { RespError, RespWriter, encodeHead, type RespReply } from '../common/resp.ts';
import { luaScript } from './lua-script.ts';
import { memberOf, partKeys, pinKey, type WindowSide } from './window-layout.ts';

/** What window-store.ts calls an IndexRequest (declared here by shape: the store imports this
 *  file). `payload[0]` is the stored kind byte, 0 = session. */
interface IndexRequest { key: string; uid: string; time: number; payload: Buffer }

/** One window part in one batch: where its hash key's argument stands in the buffer, and per
 *  member its score and where the member's argument stands (written once, copied into the ZADD). */
interface Part { key: string; side: WindowSide; hash: string; zset: string; hashAt: number; hashEnd: number; z: number[] }

const HSETNX = encodeHead(4, 'HSETNX');
const ZADD = Buffer.from('ZADD');
const EVAL = Buffer.from('EVAL');
const WINDOW_TTL = Buffer.from(luaScript('window-ttl'));

/** Window parts per window-ttl call: bounds how long one call holds Redis (~1 ms). */
const TTL_CHUNK = 256;

/** Windows `seen` remembers at most (a window met again after it is cleared gets its TTL again). */
const SEEN_MAX = 2_000_000;

/** Writes one batch's commands (HSETNX per event, ZADD NX per window part, window-ttl for the
 *  parts `seen` has not met) into `writer`; `fresh`: those parts. */
export function writeBulkCommands(writer: RespWriter, reqs: IndexRequest[], seen: Set<string>, retentionOf: (side: WindowSide) => number): { parts: number; fresh: Part[] } {
  const sessions = new Map<string, Part>();
  const flows = new Map<string, Part>();
  for (const q of reqs) {
    const side: WindowSide = q.payload[0] === 0 ? 'session' : 'flow';
    const parts = side === 'session' ? sessions : flows;
    let p = parts.get(q.key);
    writer.begin(HSETNX);
    if (p) writer.again(p.hashAt, p.hashEnd);
    else {
      const [hash, zset] = partKeys(q.key, side);
      const at = writer.bytes;
      writer.arg(hash);
      parts.set(q.key, p = { key: q.key, side, hash, zset, hashAt: at, hashEnd: writer.bytes, z: [] });
    }
    const u = writer.bytes;
    writer.arg(memberOf(q.uid));
    p.z.push(q.time, u, writer.bytes);
    writer.arg(q.payload);
  }
  const all = [...sessions.values(), ...flows.values()];
  for (const p of all) {
    writer.array(3 + (p.z.length / 3) * 2).arg(ZADD).arg(p.zset).arg('NX');
    for (let i = 0; i < p.z.length; i += 3) writer.arg(p.z[i]!).again(p.z[i + 1]!, p.z[i + 2]!);
  }
  const fresh = all.filter((p) => !seen.has(p.hash));
  for (let i = 0; i < fresh.length; i += TTL_CHUNK) {
    const chunk = fresh.slice(i, i + TTL_CHUNK);
    writer.array(3 + chunk.length * 4).arg(EVAL).arg(WINDOW_TTL).arg(chunk.length * 3);
    for (const p of chunk) writer.arg(pinKey(p.key)).arg(p.hash).arg(p.zset);
    for (const p of chunk) writer.arg(Math.floor(retentionOf(p.side) * 1.5));
  }
  return { parts: all.length, fresh };
}

export function createWindowBulkWrite(redis: Redis, retentionOf: (side: WindowSide) => number) {
  const raw = lazyRawRedis(redis);
  const check = (replies: RespReply[]): void => {
    const refused = replies.find((r): r is RespError => r instanceof RespError);
    if (refused) throw new Error(`Redis refused the rebuild's bulk write: ${refused.message}`);
  };
  const send = async (w: RespWriter): Promise<RespReply[]> => {
    const n = w.commands;
    const bytes = w.take();
    const replies = await raw.send(bytes, n);
    check(replies);
    return replies;
  };

  return async function bulkIndex(reqs: IndexRequest[], seen: Set<string>): Promise<void> {
    if (reqs.length === 0) return;
    const writer = new RespWriter(reqs.length * 256);
    const { fresh } = writeBulkCommands(writer, reqs, seen, retentionOf);
    await send(writer);
    if (seen.size > SEEN_MAX) seen.clear();
    for (const p of fresh) seen.add(p.hash);
  };
}
