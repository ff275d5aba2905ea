// Redis bytes per indexed event of the window layout (window-layout.ts, version 2) and of
// candidate layouts, written with plain commands (no scripts) into windows of a given number
// of events each, on the Redis this runs against: the layout's cost alone, separated from a
// bench's other keys and from the index script's CPU (bench/correlate-index.bench.ts measures
// the layout as the correlator writes it). Each layout, each window size: write, used_memory
// delta (after MEMORY PURGE) over the events written, then delete the keys.
// Layouts (member: the bytes an event is known by in its part; payload: the stored event,
// 9-byte prefix + value, window-store.ts encodeStored):
//   v2          hash member(16) -> payload, zset member(16) by event time; TTL on both (today)
//   v2-no-ttl   the same without TTLs: what the two expiry entries cost
//   v2-8        member of 8 bytes in both keys (a uid digest collision odds ~n^2/2^65 per part)
//   zset-only   one zset per part, member = digest(8) + payload by event time, TTL: no key
//               holds member -> payload, so a uid can be looked up only among events of its
//               own time (ZRANGEBYSCORE t t): not the exact uid dedupe v2 keeps
//   zset-dedupe one zset per part, as zset-only plus a member digest(8) at score -1 per event
//               (the exact uid dedupe, ZSCORE): what exact dedupe costs inside one key
// Needs REDIS_URL (eval "$(make -s stack-env)") as the admin (CONFIG SET): the zset layouts
// need zset-max-listpack-value >= 8 + payload; the run raises it if lower and puts it back.
// zset-dedupe holds two members per event: past zset-max-listpack-entries / 2 events a part
// is a skiplist (it would need that setting doubled).
// Run it against a Redis nothing else writes to (used_memory is the instance's).
//   node bench/window-layout-bytes.bench.ts [windows=20000] [sizes=1,2,6,20,100,1-12] [payload=189]
// A size a-b gives window i the size a + (i * 7919) % (b - a + 1): window sizes spread evenly
// over a..b, so a size class boundary of the allocator (jemalloc: 1280, 1536, ... bytes) is
// averaged over rather than hit or missed by one fixed size.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Redis, type ChainableCommander } from 'ioredis';
import { deleteKeys, redisUsedMemory, result } from './lib.ts';

const [W = 20_000, SIZES = '1,2,6,20,100,1-12', PAYLOAD = 189] = process.argv.slice(2).map((x, i) => (i === 1 ? x : Number(x))) as [number?, string?, number?];
const url = process.env.REDIS_URL;
if (!url) { console.error('REDIS_URL is not set: eval "$(make -s stack-env)" first'); process.exit(2); }
// window keys carry 16 bits of a window number (198.18.x.y): more windows would share keys
if (!(W >= 1 && W <= 65_536)) { console.error(`windows per size ${W}: 1 to 65536`); process.exit(2); }

const redis = new Redis(url);
const run = `lb${Date.now().toString(36)}`;
const payload = Buffer.alloc(PAYLOAD, 7);
const now = Date.now();
const TTL = 5_400_000;
const k = (w: number) => `${run}|198.18.${(w >> 8) & 255}.${w & 255}`;

type Write = (p: ChainableCommander, key: string, t: number) => void;
const layouts: Record<string, { write: Write; keys: (key: string) => string[]; ttl: boolean }> = {
  v2: { write: (p, key, t) => { const m = randomBytes(16); p.hsetnx(`ct:fe:{${key}}`, m, payload); p.zadd(`ct:ft:{${key}}`, t, m); }, keys: (key) => [`ct:fe:{${key}}`, `ct:ft:{${key}}`], ttl: true },
  'v2-no-ttl': { write: (p, key, t) => { const m = randomBytes(16); p.hsetnx(`ct:fe:{${key}}`, m, payload); p.zadd(`ct:ft:{${key}}`, t, m); }, keys: (key) => [`ct:fe:{${key}}`, `ct:ft:{${key}}`], ttl: false },
  'v2-8': { write: (p, key, t) => { const m = randomBytes(8); p.hsetnx(`ct:fe:{${key}}`, m, payload); p.zadd(`ct:ft:{${key}}`, t, m); }, keys: (key) => [`ct:fe:{${key}}`, `ct:ft:{${key}}`], ttl: true },
  'zset-only': { write: (p, key, t) => { p.zadd(`ct:fz:{${key}}`, t, Buffer.concat([randomBytes(8), payload])); }, keys: (key) => [`ct:fz:{${key}}`], ttl: true },
  'zset-dedupe': { write: (p, key, t) => { const m = randomBytes(8); p.zadd(`ct:fz:{${key}}`, t, Buffer.concat([m, payload]), -1, m); }, keys: (key) => [`ct:fz:{${key}}`], ttl: true },
};

const sizeOf = (spec: string) => { const [a, b = a] = spec.split('-').map(Number) as [number, number?]; return (w: number) => a + ((w * 7919) % (b - a + 1)); };
const used = async () => { await redis.call('MEMORY', 'PURGE'); return redisUsedMemory(redis); };
/** Not UNLINK: freed before the next layout's used_memory. */
const drop = () => deleteKeys(redis, `ct:f*{${run}*`, 'del');

const zvalue = Number((await redis.config('GET', 'zset-max-listpack-value') as string[])[1]);
if (zvalue < PAYLOAD + 8) await redis.config('SET', 'zset-max-listpack-value', String(PAYLOAD + 64));
try {
  console.log(`window layout bytes: ${W} windows per size, payload ${PAYLOAD} B; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  for (const spec of String(SIZES).split(',')) {
    const size = sizeOf(spec);
    let events = 0;
    for (let w = 0; w < W; w++) events += size(w);
    const row: Record<string, number> = {};
    const enc: string[] = [];
    for (const [name, l] of Object.entries(layouts)) {
      const before = await used();
      for (let w0 = 0; w0 < W; w0 += 500) {
        const p = redis.pipeline();
        for (let w = w0; w < Math.min(W, w0 + 500); w++) {
          const n = size(w);
          for (let i = 0; i < n; i++) l.write(p, k(w), now - i * 1000);
          if (l.ttl) for (const x of l.keys(k(w))) p.pexpire(x, TTL);
        }
        await p.exec();
      }
      row[name] = Math.round((await used() - before) / events);
      enc.push(`${name} ${(await Promise.all(l.keys(k(W - 1)).map((x) => redis.call('OBJECT', 'ENCODING', x)))).join('+')}`);
      await drop();
    }
    console.log(`  ${spec} events/window (${(events / W).toFixed(1)} mean): ${Object.entries(row).map(([n, b]) => `${n} ${b}`).join(', ')} B/event; encodings ${enc.join('; ')}`);
    result('window-layout-bytes', { eventsPerWindow: spec, meanEventsPerWindow: +(events / W).toFixed(1), payloadBytes: PAYLOAD, ...row, loadAverage1m: +loadavg()[0]!.toFixed(1) });
  }
} finally {
  if (zvalue < PAYLOAD + 8) await redis.config('SET', 'zset-max-listpack-value', String(zvalue));
  await drop();
  redis.disconnect();
}
