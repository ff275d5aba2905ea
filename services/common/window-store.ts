// Redis adapter of the symmetric windowed join (scripts in ./lua, each naming its KEYS/ARGV
// and invariant). All keys of one window share the hash tag {K}, K being the window key of
// an address (address.ts windowKey), so every script touches one hash slot: the same code
// runs on a single Redis and on Redis Cluster.
//
// An event is stored as its normalised Kafka value (Confluent-framed Avro, not re-encoded)
// behind a 9-byte prefix: kind/direction (1 byte) and the Kafka produce time of the
// original raw event (float64 BE, UTC ms, the start of end-to-end latency).
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { ReadRange } from './join.ts';
import type { Lookup } from './join-types.ts';
import { permanent } from './errors.ts';

/** A script's text with each `--@include name` line replaced by ./lua/name.lua (shared routines). */
const lua = (name: string): string => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8')
  .replace(/^--@include ([\w-]+)$/mg, (_, inc: string) => lua(inc));

export type StoredKind = 'session' | 'flow-in' | 'flow-out';
const KIND_BYTE: Record<StoredKind, number> = { session: 0, 'flow-in': 1, 'flow-out': 2 };
const BYTE_KIND: StoredKind[] = ['session', 'flow-in', 'flow-out'];

export interface StoredEvent { kind: StoredKind; producedAt: number; value: Buffer }

export function encodeStored(e: StoredEvent): Buffer {
  const b = Buffer.allocUnsafe(9 + e.value.length);
  b[0] = KIND_BYTE[e.kind];
  b.writeDoubleBE(e.producedAt, 1);
  e.value.copy(b, 9);
  return b;
}

export function decodeStored(b: Buffer): StoredEvent {
  const kind = BYTE_KIND[b[0]!];
  if (!kind || b.length < 9) throw new Error(`stored window payload is corrupt (first byte ${b[0]}, ${b.length} bytes)`);
  return { kind, producedAt: b.readDoubleBE(1), value: b.subarray(9) };
}

const keysOf = (k: string) => [`ct:ev:{${k}}`, `ct:et:{${k}}`, `ct:w:{${k}}`, `ct:wt:{${k}}`, `ct:pin:{${k}}`];

type Cmds = {
  ctIndexMany(numKeys: number, ...keysThenArgs: (string | number | Buffer)[]): Promise<(number | (Buffer | null)[])[]>;
  ctIndex(k1: string, k2: string, k3: string, k4: string, k5: string, uid: string, t: number, payload: Buffer, retention: number, now: number): Promise<[number, (Buffer | null)[]]>;
  ctRegister(k1: string, k2: string, k3: string, k4: string, id: string, json: string, exp: number,
    from: number, coreFrom: number, coreTo: number, to: number, limit: number, now: number, cap: number): Promise<[number, (Buffer | null)[]]>;
  ctUnregister(k1: string, k2: string, id: string): Promise<number>;
  ctRange(k1: string, k2: string, from: number, coreFrom: number, coreTo: number, to: number, limit: number): Promise<[number, (Buffer | null)[]]>;
};

export interface IndexRequest { key: string; uid: string; time: number; payload: Buffer }
export interface IndexResult { isNew: boolean; waiters: Lookup[] }
/** A window read: the events found, and whether a part of the read reached its limit (the
 *  events farthest from the lookup window were left out). */
export interface WindowRead { events: StoredEvent[]; truncated: boolean }

/** Events per index-many script call: bounds how long one call holds Redis (~1 ms). */
const INDEX_CHUNK = 128;

export interface WindowStoreOptions {
  retentionMs: number;
  /** One index-and-probe script per event (what Redis Cluster needs: a script's keys must
   *  share a hash slot) instead of index-many over up to INDEX_CHUNK windows per call (a
   *  single Redis; fewer script calls, the same writes). Default false. */
  perEventScripts?: boolean;
  /** Most live waiters on one window key; a lookup beyond it is refused with CT_HOT_KEY.
   *  0 = no cap. Default 5000. */
  maxWaitersPerKey?: number;
}

export function createWindowStore(redis: Redis, opts: WindowStoreOptions) {
  const r = redis as Redis & { [K in keyof Cmds as `${K}Buffer`]: Cmds[K] } & Cmds;
  if (!('ctIndexBuffer' in r)) {
    redis.defineCommand('ctIndexMany', { lua: lua('index-many') });
    redis.defineCommand('ctIndex', { numberOfKeys: 5, lua: lua('index-and-probe') });
    redis.defineCommand('ctRegister', { numberOfKeys: 4, lua: lua('register-and-probe') });
    redis.defineCommand('ctUnregister', { numberOfKeys: 2, lua: lua('unregister') });
    redis.defineCommand('ctRange', { numberOfKeys: 2, lua: lua('range-events') });
  }
  const present = (xs: (Buffer | null)[]) => xs.filter((x): x is Buffer => x !== null);

  return {
    /** Indexes many events (one pipeline round trip); returns, per event, the live waiters it met. */
    async indexMany(reqs: IndexRequest[], now: number): Promise<IndexResult[]> {
      if (reqs.length === 0) return [];
      const pipe = redis.pipeline() as unknown as { [K in keyof Cmds as `${K}Buffer`]: (...a: Parameters<Cmds[K]>) => void } & { exec(): Promise<[Error | null, unknown][] | null> };
      if (opts.perEventScripts) {
        for (const q of reqs) {
          const [a, b, c, d, e] = keysOf(q.key) as [string, string, string, string, string];
          pipe.ctIndexBuffer(a, b, c, d, e, q.uid, q.time, q.payload, opts.retentionMs, now);
        }
      } else {
        for (let i = 0; i < reqs.length; i += INDEX_CHUNK) {
          const chunk = reqs.slice(i, i + INDEX_CHUNK);
          const args: (string | number | Buffer)[] = chunk.flatMap((q) => keysOf(q.key));
          args.push(opts.retentionMs, now);
          for (const q of chunk) args.push(q.uid, q.time, q.payload);
          pipe.ctIndexManyBuffer(chunk.length * 5, ...args);
        }
      }
      const res = await pipe.exec();
      if (!res) throw new Error('redis pipeline returned nothing');
      // either script answers isNew, waiters per event: [isNew, ws] per call, or them all flat
      const flat = res.flatMap(([err, v]) => { if (err) throw err; return v as unknown[]; });
      const out: IndexResult[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        out.push({ isNew: flat[i] === 1, waiters: present(flat[i + 1] as (Buffer | null)[]).map((w) => JSON.parse(w.toString('utf8')) as Lookup) });
      }
      return out;
    },
    /** Registers a waiter on its window key and reads the stored events of `range`, nearest
     *  first; throws CT_HOT_KEY (permanent) when the key has maxWaitersPerKey live waiters. */
    async registerAndProbe(key: string, lookup: Lookup, expiresAt: number, range: ReadRange, now: number): Promise<WindowRead> {
      const [a, b, c, d] = keysOf(key) as [string, string, string, string];
      const cap = opts.maxWaitersPerKey ?? 5000;
      const [cut, out] = await r.ctRegisterBuffer(a, b, c, d, lookup.lookupId, JSON.stringify(lookup), expiresAt,
        range.from, range.coreFrom, range.coreTo, range.to, range.limit, now, cap);
      if (cut === -1) throw permanent('CT_HOT_KEY', `${cap} lookups already wait on ${key}; lookup ${lookup.lookupId} of trace ${lookup.traceId} refused (raise the cap or close traces)`);
      return { events: present(out).map(decodeStored), truncated: cut === 1 };
    },
    async unregister(key: string, lookupId: string): Promise<void> {
      const [, , c, d] = keysOf(key) as [string, string, string, string];
      await r.ctUnregister(c, d, lookupId);
    },
    /** Reads the stored events of `range`, nearest the lookup window first. */
    async range(key: string, range: ReadRange): Promise<WindowRead> {
      const [a, b] = keysOf(key) as [string, string];
      const [cut, out] = await r.ctRangeBuffer(a, b, range.from, range.coreFrom, range.coreTo, range.to, range.limit);
      return { events: present(out).map(decodeStored), truncated: cut === 1 };
    },
    /** Pins a window (preservation order): no trimming, no TTL, until unpinned (then it lives
     *  1.5 x retention from now, like a refreshed window). */
    async pin(key: string, on: boolean): Promise<void> {
      const [ev, et, , , pinKey] = keysOf(key) as [string, string, string, string, string];
      if (on) await redis.multi().set(pinKey, '1').persist(ev).persist(et).exec();
      else await redis.multi().del(pinKey).pexpire(ev, Math.floor(opts.retentionMs * 1.5)).pexpire(et, Math.floor(opts.retentionMs * 1.5)).exec();
    },
  };
}

export type WindowStore = ReturnType<typeof createWindowStore>;
