// Ingest's dedupe memory in Redis: per event id, the source coordinates (topic/partition/offset)
// of the first message that carried it, kept for the dedupe window. One script call per chunk
// of events (dedupe.lua: SET NX GET PX per key): a profile of ingest (bench/profile.ts) showed
// ioredis spending 7-17 µs of client CPU per pipelined SET against ~2-3 µs per key in one
// script call. Redis Cluster refuses a script whose keys lie in several slots, so `perKey`
// sends one pipelined SET per event instead (the same command, the same answers).
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { dependencyDown } from '../common/errors.ts';

/** Keys per script call: bounds how long one call holds Redis (~1 µs per key). */
const CHUNK = 500;
const LUA = readFileSync(new URL('./dedupe.lua', import.meta.url), 'utf8');

export interface DedupeItem { eventId: string; coordinates: string }
type WithScript = Redis & { ctDedupeMany(n: number, ...args: (string | number)[]): Promise<(string | null)[]> };

export function createDedupe(redis: Redis, o: { windowMs: number; perKey?: boolean }) {
  const r = redis as WithScript;
  if (!('ctDedupeMany' in r)) redis.defineCommand('ctDedupeMany', { lua: LUA });

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

  async function scripted(items: DedupeItem[]): Promise<(string | null)[]> {
    const out: (string | null)[] = [];
    for (let i = 0; i < items.length; i += CHUNK) {
      const chunk = items.slice(i, i + CHUNK);
      const args: (string | number)[] = chunk.map((it) => `ct:dd:${it.eventId}`);
      args.push(o.windowMs);
      for (const it of chunk) args.push(it.coordinates);
      let res: (string | null)[];
      try { res = await r.ctDedupeMany(chunk.length, ...args); } catch (e) { throw dependencyDown('redis unavailable for dedupe', e); }
      if (!Array.isArray(res) || res.length !== chunk.length) throw dependencyDown(`redis dedupe script answered ${Array.isArray(res) ? res.length : typeof res} values for ${chunk.length} keys`, null);
      for (const prev of res) out.push(prev ?? null);
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
