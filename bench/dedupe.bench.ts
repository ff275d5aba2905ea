// Ingest's dedupe memory in Redis, per remembered id: Redis bytes (used_memory delta) and Redis'
// own CPU (INFO cpu and commandstats) per new id and per repeat (the same ids again, as a
// redelivered batch is), for ingest's layout (services/ingest/dedupe.ts through its own code:
// one string key per id, SET NX GET PX) next to a candidate that round 13 measured and did not
// adopt: the ids of one generation (the window's length of time) in hashes of N buckets,
// ct:dd:{<bucket>}:<generation>, field the id, value the coordinates, each bucket expiring two
// generations on; a lookup reads the generation before (and, with "+ after", the one after:
// an ingest whose clock is behind another's), then HSETNX, HLEN and PEXPIREAT on a new bucket.
// The candidate's fill (ids per bucket = rate x window / buckets) is chosen per row, and the
// events/s it means at a 10-minute window and 65536 buckets printed beside it. A bucket holds an
// id one to two windows (1.5 on average) where a key holds it one: its bytes per id "held" are
// x1.5. Script calls of 500 ids, 1000 ids per round trip. Keys of this run only, removed (DEL)
// after each row; the candidate's generation before is empty, so its "before" lookup misses a key
// where in steady state it reads a bucket as full as this one: its CPU per id is a floor. Keys of
// others expiring during a row lower its bytes, a dict doubling raises them: both are printed.
// Needs REDIS_URL (eval "$(make -s stack-env)").
//   node bench/dedupe.bench.ts [ids=300000] [fills=4,46,128]
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { createDedupe } from '../services/ingest/dedupe.ts';
import { deleteKeys, fmt, redisDelta, redisStats, redisUsedMemory, result } from './lib.ts';

const [N = 300_000] = process.argv.slice(2, 3).map(Number);
const FILLS = (process.argv[3] ?? '4,46,128').split(',').map(Number);
const url = process.env.REDIS_URL;
if (!url) { console.error('REDIS_URL is not set: eval "$(make -s stack-env)" first'); process.exit(2); }
if (!(Number.isInteger(N) && N >= 1000) || FILLS.some((f) => !(f >= 1))) { console.error('ids must be an integer >= 1000 and every fill >= 1'); process.exit(2); }

const W = 600_000;
const run = `dd${Date.now().toString(36)}`;
const redis = new Redis(url);
const used = () => redisUsedMemory(redis);
// ingest's dedupe keys: provider/exporter/eventId (an IPFIX collector's record id), coordinates topic/partition/offset
type Item = { eventId: string; coordinates: string };
const ids: Item[] = Array.from({ length: N }, (_, i) => ({ eventId: `fr-telecom/fr-flow-1/${run}-${1_764_770_000 + (i >> 10)}-${i * 7919}-0-${i & 31}`, coordinates: `flows.raw/${i % 6}/${12_000_000 + i}` }));

/** The candidate: KEYS per id its bucket in the generation before, this one (and the one after);
 *  ARGV[1] this generation's buckets' expiry, then per id its key and coordinates. */
const candidateLua = (after: boolean) => `local n = ${after ? 3 : 2}
local out = {}
for i = 1, #KEYS / n do
  local f, cur = ARGV[2 * i], KEYS[n * i - n + 2]
  local prev = redis.call('HGET', KEYS[n * i - n + 1], f)${after ? ' or redis.call(\'HGET\', KEYS[n * i], f)' : ''}
  if prev then out[i] = prev
  elseif redis.call('HSETNX', cur, f, ARGV[2 * i + 1]) == 1 then
    out[i] = false
    if redis.call('HLEN', cur) == 1 then redis.call('PEXPIREAT', cur, ARGV[1]) end
  else out[i] = redis.call('HGET', cur, f) end
end
return out`;
function candidate(buckets: number, g: number, after: boolean) {
  const lua = candidateLua(after);
  const bucket = (id: string) => {
    let h = 0x811c9dc5; // FNV-1a, 32 bits
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    return `ct:dd:{${run}-${(h >>> 0) % buckets}}`;
  };
  return async (items: Item[]): Promise<(string | null)[]> => {
    const pipe = redis.pipeline();
    for (let i = 0; i < items.length; i += 500) {
      const c = items.slice(i, i + 500);
      const keys = c.flatMap((x) => { const b = bucket(x.eventId); return after ? [`${b}:${g - 1}`, `${b}:${g}`, `${b}:${g + 1}`] : [`${b}:${g - 1}`, `${b}:${g}`]; });
      pipe.eval(lua, keys.length, ...keys, (g + 2) * W + 60_000, ...c.flatMap((x) => [x.eventId, x.coordinates]));
    }
    return ((await pipe.exec()) ?? []).flatMap(([e, v]) => { if (e) throw e; return v as (string | null)[]; });
  };
}

const stat = async () => {
  const info = await redis.info('stats');
  return { expired: Number(/expired_keys:(\d+)/.exec(info)![1]), keys: await redis.dbsize() };
};

async function measure(label: string, remember: (items: Item[]) => Promise<(string | null)[]>) {
  const k0 = await stat();
  const m0 = await used();
  const s0 = await redisStats(redis);
  let fresh = 0;
  for (let i = 0; i < N; i += 1000) fresh += (await remember(ids.slice(i, i + 1000))).filter((x) => x === null).length;
  const s1 = await redisStats(redis);
  const m1 = await used();
  const k1 = await stat();
  let repeats = 0;
  for (let i = 0; i < N; i += 1000) repeats += (await remember(ids.slice(i, i + 1000))).filter((x, j) => x === ids[i + j]!.coordinates).length;
  const s2 = await redisStats(redis);
  if (fresh !== N || repeats !== N) throw new Error(`${label}: ${fresh} of ${N} ids new the first time, ${repeats} answered with their coordinates the second`);
  const first = redisDelta(s0, s1, N);
  const expired = k1.expired - k0.expired;
  return { label, bytes: (m1 - m0) / N, newUs: first.cpuUs, repeatUs: redisDelta(s1, s2, N).cpuUs, cmds: first.commands.filter((x) => !/^(info|dbsize)$/.test(x.c)).map((x) => `${x.c} ${x.calls.toFixed(2)}`).join(', '),
    keys: `${k0.keys} keys before${expired > 0 ? `; ${expired} keys of others expired meanwhile: the bytes are low by theirs` : ''}` };
}

/** DEL, not UNLINK: freed now, not in the background under the next row. */
const clean = (pattern: string) => deleteKeys(redis, pattern, 'del');

console.log(`dedupe memory: ${N} ids (${ids[0]!.eventId.length}-byte ids, ${ids[0]!.coordinates.length}-byte coordinates); load average ${loadavg()[0]!.toFixed(1)}`);
let today;
const rows: { fill: number; after: boolean; bytes: number; newUs: number; repeatUs: number }[] = [];
try {
  today = await measure('ingest today', createDedupe(redis, { windowMs: W }).remember);
  await clean(`ct:dd:fr-telecom/fr-flow-1/${run}-*`);
  console.log(`  ingest's layout, one key per id (SET NX GET PX, held one window): ${today.bytes.toFixed(0)} B/id; Redis ${today.newUs.toFixed(2)} µs CPU per new id, ${today.repeatUs.toFixed(2)} per repeat (${today.cmds}; ${today.keys})`);
  const g = Math.floor(Date.now() / W); // left behind by a killed run, its buckets expire within two windows
  for (const fill of FILLS) {
    for (const after of [false, true]) {
      const buckets = Math.max(1, Math.round(N / fill));
      const r = await measure(`buckets ${fill}`, candidate(buckets, g, after));
      await clean(`ct:dd:{${run}-*`);
      rows.push({ fill, after, bytes: r.bytes, newUs: r.newUs, repeatUs: r.repeatUs });
      console.log(`  candidate, ${fill} ids a bucket${after ? ' + after' : ''} (~${fmt((fill * 65_536) / (W / 1000))} events/s at 65536 buckets): ${r.bytes.toFixed(0)} B/id, held 1.5 windows = ${((100 * 1.5 * r.bytes) / today.bytes).toFixed(0)} % of today's; Redis ${r.newUs.toFixed(2)} µs CPU per new id (${((100 * r.newUs) / today.newUs).toFixed(0)} %), ${r.repeatUs.toFixed(2)} per repeat (${r.cmds}; ${r.keys})`);
    }
  }
} finally {
  await clean(`ct:dd:fr-telecom/fr-flow-1/${run}-*`);
  await clean(`ct:dd:{${run}-*`);
}
const enc = await redis.config('GET', 'hash-max-listpack-*') as string[];
console.log(`  encodings: ${enc.join(' ')}; a bucket of more ids is a hashtable`);
const at5k = rows.find((x) => x.fill === 46 && !x.after);
result('dedupe-memory', { ids: N, bytesPerId: +today.bytes.toFixed(0), redisUsPerNewId: +today.newUs.toFixed(2), redisUsPerRepeat: +today.repeatUs.toFixed(2),
  ...(at5k ? { bucketsBytesPerId: +at5k.bytes.toFixed(0), bucketsRedisUsPerNewId: +at5k.newUs.toFixed(2) } : {}), loadAverage1m: +loadavg()[0]!.toFixed(1) });
redis.disconnect();
