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
import type { Lookup } from './join-types.ts';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

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
  ctIndex(k1: string, k2: string, k3: string, k4: string, k5: string, uid: string, t: number, payload: Buffer, retention: number, now: number): Promise<[number, (Buffer | null)[]]>;
  ctRegister(k1: string, k2: string, k3: string, k4: string, id: string, json: string, exp: number, from: number, to: number, now: number): Promise<(Buffer | null)[]>;
  ctUnregister(k1: string, k2: string, id: string): Promise<number>;
  ctRange(k1: string, k2: string, from: number, to: number): Promise<(Buffer | null)[]>;
};

export interface IndexRequest { key: string; uid: string; time: number; payload: Buffer }
export interface IndexResult { isNew: boolean; waiters: Lookup[] }

export function createWindowStore(redis: Redis, opts: { retentionMs: number }) {
  const r = redis as Redis & { [K in keyof Cmds as `${K}Buffer`]: Cmds[K] } & Cmds;
  if (!('ctIndexBuffer' in r)) {
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
      for (const q of reqs) {
        const [a, b, c, d, e] = keysOf(q.key) as [string, string, string, string, string];
        pipe.ctIndexBuffer(a, b, c, d, e, q.uid, q.time, q.payload, opts.retentionMs, now);
      }
      const res = await pipe.exec();
      if (!res) throw new Error('redis pipeline returned nothing');
      return res.map(([err, v]) => {
        if (err) throw err;
        const [isNew, ws] = v as [number, (Buffer | null)[]];
        return { isNew: isNew === 1, waiters: present(ws).map((w) => JSON.parse(w.toString('utf8')) as Lookup) };
      });
    },
    /** Registers a waiter on its window key and returns the stored events in [from, to]. */
    async registerAndProbe(key: string, lookup: Lookup, expiresAt: number, from: number, to: number, now: number): Promise<StoredEvent[]> {
      const [a, b, c, d] = keysOf(key) as [string, string, string, string];
      const out = await r.ctRegisterBuffer(a, b, c, d, lookup.lookupId, JSON.stringify(lookup), expiresAt, from, to, now);
      return present(out).map(decodeStored);
    },
    async unregister(key: string, lookupId: string): Promise<void> {
      const [, , c, d] = keysOf(key) as [string, string, string, string];
      await r.ctUnregister(c, d, lookupId);
    },
    async range(key: string, from: number, to: number): Promise<StoredEvent[]> {
      const [a, b] = keysOf(key) as [string, string];
      return present(await r.ctRangeBuffer(a, b, from, to)).map(decodeStored);
    },
    /** Pins a window (preservation order): no trimming, no TTL, until unpinned. */
    async pin(key: string, on: boolean): Promise<void> {
      const pinKey = keysOf(key)[4]!;
      if (on) await redis.set(pinKey, '1'); else await redis.del(pinKey);
    },
  };
}

export type WindowStore = ReturnType<typeof createWindowStore>;
