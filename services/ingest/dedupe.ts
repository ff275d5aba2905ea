// Ingest's dedupe memory in Redis: per event id, the source coordinates (topic/partition/offset)
// of the first message that carried it, kept for the dedupe window. One script call per chunk
// of events (dedupe.lua: SET NX GET PX per key): a profile of ingest (bench/profile.ts) showed
// ioredis spending 7-17 µs of client CPU per pipelined SET against ~2-3 µs per key in one
// script call. The calls of one batch go as one RESP buffer on a second connection as the same
// user (common/redis-raw.ts): ioredis built each call's 1000 arguments as one concatenated
// string, measured and encoded again per argument. Redis Cluster refuses a script whose keys
// lie in several slots, so `perKey` sends one pipelined SET per event through ioredis instead
// (the same command, the same answers).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { dependencyDown } from '../common/errors.ts';
import { lazyRawRedis, sendScriptCalls } from '../common/redis-raw.ts';
import { encodeArg, RespError, RespWriter, type RespReply } from '../common/resp.ts';

/** Keys per script call: bounds how long one call holds Redis (~1 µs per key). */
const CHUNK = 500;
const LUA = readFileSync(new URL('./dedupe.lua', import.meta.url), 'utf8');
const SHA = createHash('sha1').update(LUA).digest('hex');
/** EVALSHA <sha> / EVAL <script>, encoded once. */
const BY_SHA = Buffer.concat([encodeArg('EVALSHA'), encodeArg(SHA)]);
const BY_TEXT = Buffer.concat([encodeArg('EVAL'), encodeArg(LUA)]);
const KEY_PREFIX = Buffer.from('ct:dd:');

export interface DedupeItem { eventId: string; coordinates: string }

/** The script calls for `items`, CHUNK keys each: KEYS ct:dd:<eventId>, ARGV window ms then the
 *  coordinates (dedupe.lua). */
export function writeDedupeCalls(w: RespWriter, items: DedupeItem[], windowMs: number, byText = false): void {
  for (let i = 0; i < items.length; i += CHUNK) {
    const end = Math.min(items.length, i + CHUNK);
    w.array(4 + 2 * (end - i)).raw(byText ? BY_TEXT : BY_SHA).arg(end - i);
    for (let j = i; j < end; j++) w.prefixed(KEY_PREFIX, items[j]!.eventId);
    w.arg(windowMs);
    for (let j = i; j < end; j++) w.arg(items[j]!.coordinates);
  }
}

export function createDedupe(redis: Redis, o: { windowMs: number; perKey?: boolean }) {
  async function perKey(items: DedupeItem[]): Promise<(string | null)[]> {
    const pipe = redis.pipeline();
    for (const it of items) pipe.set(`ct:dd:${it.eventId}`, it.coordinates, 'PX', o.windowMs, 'NX', 'GET');
    let res: [Error | null, unknown][] | null;
    try { res = await pipe.exec(); } catch (e) { throw dependencyDown('redis unavailable for dedupe', e); }
    if (!res) throw dependencyDown('redis pipeline for dedupe returned nothing', null);
    return res.map(([err, prev]) => {
      if (err) throw dependencyDown('redis dedupe command failed', err);
      return prev as string | null;
    });
  }

  const raw = lazyRawRedis(redis);
  async function scripted(items: DedupeItem[]): Promise<(string | null)[]> {
    const chunks: DedupeItem[][] = [];
    for (let i = 0; i < items.length; i += CHUNK) chunks.push(items.slice(i, i + CHUNK));
    let replies: RespReply[];
    // a Redis that lost its script cache (restarted, SCRIPT FLUSH) answers NOSCRIPT: those chunks
    // alone go again with the script's text (sendScriptCalls); a connection that failed is
    // dropped (lazyRawRedis) and the next batch opens another
    try {
      replies = await sendScriptCalls(raw, chunks, (cs, byText) => cs.reduce((a, c) => a + c.length, 0) * 96 + (byText ? BY_TEXT.length * cs.length : 0),
        (w, cs, byText) => { for (const c of cs) writeDedupeCalls(w, c, o.windowMs, byText); });
    } catch (e) {
      throw dependencyDown('redis unavailable for dedupe', e);
    }
    const out: (string | null)[] = [];
    for (let k = 0; k < replies.length; k++) {
      const r = replies[k];
      const n = chunks[k]!.length;
      if (r instanceof RespError) throw dependencyDown(`redis dedupe script failed: ${r.message}`, r);
      if (!Array.isArray(r) || r.length !== n) throw dependencyDown(`redis dedupe script answered ${Array.isArray(r) ? r.length : typeof r} values for ${n} keys`, null);
      for (const prev of r) out.push(prev === null ? null : Buffer.isBuffer(prev) ? prev.toString('utf8') : String(prev));
    }
    return out;
  }

  return {
    /** Per item, in order: the coordinates stored earlier under its event id, or null when it is new
     *  (and now remembered). Throws a retriable error when Redis is unavailable. */
    async remember(items: DedupeItem[]): Promise<(string | null)[]> {
      if (items.length === 0) return [];
      return o.perKey ? perKey(items) : scripted(items);
    },
  };
}
