// Redis adapter of the symmetric windowed join (scripts in ./lua, each naming its KEYS/ARGV
// and invariant). All keys of one window share the hash tag {K}, K being the window key of
// an address (address.ts windowKey), so every script touches one hash slot: the same code
// runs on a single Redis and on Redis Cluster.
//
// Each window has two parts (WindowSide): session records, kept for the longest session age,
// and flow records, kept for the flow retention; the waiters are shared. Key names and members:
// window-layout.ts (an event's member is a digest of its uid).
//
// An event is stored as its normalised Kafka value (Confluent-framed Avro, not re-encoded)
// behind a 9-byte prefix: kind/direction (1 byte) and the Kafka produce time of the
// original raw event (float64 BE, UTC ms, the start of end-to-end latency).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { lazyRawRedis, sendScriptCalls } from '../common/redis-raw.ts';
import { encodeArg, RespError, RespWriter, type RespReply } from '../common/resp.ts';
import type { ReadRange } from './join.ts';
import type { Lookup, LookupMode } from './join-types.ts';
import { permanent } from '../common/errors.ts';
import { createWindowBulkWrite } from './window-bulk-write.ts';
import { luaScript } from './lua-script.ts';
import { memberOf, partKeys, pinKey, STATE_MARKER, waiterKeys, type WindowSide } from './window-layout.ts';

/** index-many as the live path sends it on its own connection: EVALSHA <sha> / EVAL <script>,
 *  encoded once (a Redis that lost its script cache answers NOSCRIPT, and those calls go again
 *  with the text). */
const INDEX_MANY_LUA = luaScript('index-many');
const INDEX_MANY_SHA = encodeArg(createHash('sha1').update(INDEX_MANY_LUA).digest('hex'));
const EVALSHA = encodeArg('EVALSHA');
const EVAL = encodeArg('EVAL');
const INDEX_MANY_TEXT = encodeArg(INDEX_MANY_LUA);

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

/** Which records a window part holds. Session records live as long as a session may
 *  (the maximum session age, days); flow records for the flow retention (hours to a day). Two
 *  parts under one hash tag: a session lookup reads the session part only, a relay lookup the
 *  flow part only, and a busy window's flows never trim away a session's START. */
export type { WindowSide } from './window-layout.ts';
export const sideOf = (mode: LookupMode): WindowSide => (mode === 'relay' ? 'flow' : 'session');

/** The five keys the index scripts take: the part's hash and zset, the waiters' hash and zset, the pin. */
const keysOf = (k: string, side: WindowSide): [string, string, string, string, string] => [...partKeys(k, side), ...waiterKeys(k), pinKey(k)];
/** keysOf's five keys as the bytes before and after the window key, per side. */
const KEY_AFFIXES: Record<WindowSide, [Buffer, Buffer][]> = {
  session: keysOf('\0', 'session').map((k) => k.split('\0').map((x) => Buffer.from(x)) as [Buffer, Buffer]),
  flow: keysOf('\0', 'flow').map((k) => k.split('\0').map((x) => Buffer.from(x)) as [Buffer, Buffer]),
};
const sideOfPayload = (payload: Buffer): WindowSide => (payload[0] === KIND_BYTE.session ? 'session' : 'flow');

type Cmds = {
  ctIndex(k1: string, k2: string, k3: string, k4: string, k5: string, member: Buffer, t: number, payload: Buffer, retention: number, now: number): Promise<[number, (Buffer | null)[]]>;
  ctRegister(k1: string, k2: string, k3: string, k4: string, id: string, json: string, exp: number,
    from: number, coreFrom: number, coreTo: number, to: number, limit: number, now: number, cap: number): Promise<[number, (Buffer | null)[]]>;
  ctUnregister(k1: string, k2: string, id: string): Promise<number>;
  ctRange(k1: string, k2: string, from: number, coreFrom: number, coreTo: number, to: number, limit: number): Promise<[number, (Buffer | null)[]]>;
  ctRangeMany(k1: string, k2: string, ...ranges: number[]): Promise<[(Buffer | null)[], ...number[]]>;
};

export interface IndexRequest { key: string; uid: string; time: number; payload: Buffer }
/** waiters: the live waiters the event met; one window's events of a batch may share one array
 *  and its lookups (read them, never change them). */
export interface IndexResult { isNew: boolean; waiters: readonly Lookup[] }
/** A window read: the events found, and whether a part of the read reached its limit (the
 *  events farthest from the lookup window were left out). `built` (registerAndProbe, rangeMany):
 *  the windows were built when the read ran, the same build before and after it (STATE_MARKER,
 *  read in the same round trip): false = the read may have met a window still being rebuilt
 *  from Kafka (after a FLUSHALL, a restart without AOF, a layout bump) and decides nothing. */
export interface WindowRead { events: StoredEvent[]; truncated: boolean; built?: boolean }
/** The reads of many ranges of one window part (rangeMany): each read's events are
 *  `stored[i]` for i in its `picks`, in read order (an event several reads share is stored once). */
export interface WindowReads { stored: StoredEvent[]; reads: { picks: number[]; truncated: boolean }[]; built: boolean }

/** A script's answer between two reads of the windows' marker, in one pipeline (one round trip;
 *  Redis runs them in order, other clients' commands may fall between): built = the marker was
 *  there, the same value, before and after (no loss, no rebuild finished in between). Two
 *  commands and not one script: the marker is not in the window's hash slot (Redis Cluster). */
async function betweenMarkers<T>(redis: Redis, call: (pipe: Record<string, (...a: unknown[]) => unknown>) => void): Promise<{ v: T; built: boolean }> {
  const pipe = redis.pipeline() as unknown as Record<string, (...a: unknown[]) => unknown> & { exec(): Promise<[Error | null, unknown][] | null> };
  pipe.get!(STATE_MARKER);
  call(pipe);
  pipe.get!(STATE_MARKER);
  const res = await pipe.exec();
  if (!res || res.length !== 3) throw new Error('redis pipeline returned nothing');
  for (const [err] of res) if (err) throw err;
  const [before, v, after] = res.map(([, x]) => x);
  return { v: v as T, built: before !== null && before === after };
}

/** Events per index-many script call: bounds how long one call holds Redis (~1 ms). */
const INDEX_CHUNK = 128;

/** The requests with each window's together, windows in the order they first appear, each
 *  window's in request order (so a uid's first payload still wins): a busy window's events
 *  share index-many calls, whose memo (lua/index-one.lua) spares their TTL, pin and waiter
 *  reads. Which window an event is written to, and what it meets there, is unchanged. */
function byWindow(ix: number[], reqs: IndexRequest[]): number[] {
  const groups = new Map<string, number[]>();
  for (const i of ix) {
    const g = groups.get(reqs[i]!.key);
    if (g) g.push(i); else groups.set(reqs[i]!.key, [i]);
  }
  return [...groups.values()].flat();
}

/** The index-many calls for `calls` (each up to INDEX_CHUNK events of one side), by sha or by
 *  text: KEYS the five of each event's part (keysOf), ARGV retention, now, then per event its
 *  member, time and payload (lua/index-many.lua). */
export function writeIndexCalls(w: RespWriter, calls: readonly { side: WindowSide; reqs: readonly IndexRequest[] }[], retentionOf: (side: WindowSide) => number, now: number, byText: boolean): void {
  let key = '';
  let bytes = Buffer.alloc(0);
  for (const { side, reqs } of calls) {
    w.array(3 + reqs.length * 8 + 2).raw(byText ? EVAL : EVALSHA).raw(byText ? INDEX_MANY_TEXT : INDEX_MANY_SHA).arg(reqs.length * 5);
    // the window key's bytes once per window, between each key's prefix and suffix (a JS loop
    // per char of five ~30-char keys per event was a third of this writer's CPU)
    for (const q of reqs) {
      if (q.key !== key) { key = q.key; bytes = Buffer.from(key, 'utf8'); }
      for (const [head, tail] of KEY_AFFIXES[side]) w.arg2(head, bytes, tail);
    }
    w.arg(retentionOf(side)).arg(now);
    for (const q of reqs) w.arg(memberOf(q.uid)).arg(q.time).arg(q.payload);
  }
}

/** An error reply to an index call as ioredis reported one (a ReplyError), so that it is
 *  classified as it was when ioredis sent these calls (errors.ts dependencyDown): a refusal of
 *  the input (WRONGTYPE, a script error) is CT_REDIS_REJECTED, the batch is split and the
 *  record dead-lettered, where retrying would hold its partition for good; a transient reply
 *  (BUSY, LOADING, OOM...) is retried. */
function refusal(r: RespError): Error {
  const e = new Error(r.message, { cause: r });
  e.name = 'ReplyError';
  return e;
}

/** Per request, in request order, what the index scripts answered: each call's reply is
 *  [isNew, waiters] per event it carried, `sent` the requests' positions in the order the calls
 *  carried them; index-many answers a window's later events with the call's position (1-based)
 *  of the event that carries its waiters, instead of the same list again. */
function answers(calls: readonly RespReply[][], sent: readonly number[], n: number): IndexResult[] {
  const out: IndexResult[] = new Array(n);
  let at = 0;
  for (const call of calls) {
    const first = at;
    for (let i = 0; i < call.length; i += 2) {
      const ws = call[i + 1];
      const waiters = typeof ws === 'number' ? out[sent[first + ws - 1]!]!.waiters
        : (ws as (Buffer | null)[]).filter((x): x is Buffer => x !== null).map((x) => JSON.parse(x.toString('utf8')) as Lookup);
      out[sent[at++]!] = { isNew: call[i] === 1, waiters };
    }
  }
  if (at !== n) throw new Error(`Redis answered ${at} of ${n} indexed events`);
  return out;
}

export interface WindowStoreOptions {
  /** How long flow records stay in a window (unless pinned), ms. */
  retentionMs: number;
  /** How long session records stay, ms: the longest session age honoured (join settings
   *  maxSessionAgeMs), so a START stays for its session's lifetime. Default retentionMs. */
  sessionRetentionMs?: number;
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
    redis.defineCommand('ctIndex', { numberOfKeys: 5, lua: luaScript('index-and-probe') });
    redis.defineCommand('ctRegister', { numberOfKeys: 4, lua: luaScript('register-and-probe') });
    redis.defineCommand('ctUnregister', { numberOfKeys: 2, lua: luaScript('unregister') });
    redis.defineCommand('ctRange', { numberOfKeys: 2, lua: luaScript('range-events') });
    redis.defineCommand('ctRangeMany', { numberOfKeys: 2, lua: luaScript('range-many') });
  }
  const present = (xs: (Buffer | null)[]) => xs.filter((x): x is Buffer => x !== null);
  const retentionOf = (side: WindowSide) => (side === 'session' ? Math.max(opts.retentionMs, opts.sessionRetentionMs ?? opts.retentionMs) : opts.retentionMs);
  // index-many's calls go as one RESP buffer per batch on a connection of their own, as the same
  // user (common/redis-raw.ts): ioredis's command objects, argument conversion and reply
  // decoding were half of the client's CPU per indexed event (bench/correlate-index.bench.ts
  // under --cpu-prof). A connection that failed is dropped; the next batch opens another.
  const raw = lazyRawRedis(redis);
  /** The calls' replies, in order (sendScriptCalls: NOSCRIPT refusals go again with the text).
   *  The writer's first buffer: ~400 bytes an event, and the text once a call when it is sent. */
  const indexCalls = (calls: readonly { side: WindowSide; reqs: readonly IndexRequest[] }[], now: number): Promise<RespReply[]> => sendScriptCalls(raw, calls,
    (cs, byText) => cs.reduce((a, c) => a + c.reqs.length, 0) * 400 + (byText ? INDEX_MANY_TEXT.length * cs.length : 0),
    (w, cs, byText) => writeIndexCalls(w, cs, retentionOf, now, byText));

  return {
    /** Indexes many events (one pipeline round trip); returns, per event, the live waiters it met. */
    async indexMany(reqs: IndexRequest[], now: number): Promise<IndexResult[]> {
      if (reqs.length === 0) return [];
      // sessions first, then flows (each side has its own retention); with index-many, each
      // window's events together (byWindow); answers are put back in request order
      const sides = (['session', 'flow'] as const).map((side) => [...reqs.keys()].filter((i) => sideOfPayload(reqs[i]!.payload) === side));
      const grouped = opts.perEventScripts ? sides : sides.map((ix) => byWindow(ix, reqs));
      const sent = grouped.flat();
      if (opts.perEventScripts) {
        const pipe = redis.pipeline() as unknown as { [K in keyof Cmds as `${K}Buffer`]: (...a: Parameters<Cmds[K]>) => void } & { exec(): Promise<[Error | null, unknown][] | null> };
        for (const i of sent) {
          const q = reqs[i]!;
          const side = sideOfPayload(q.payload);
          const [a, b, c, d, e] = keysOf(q.key, side);
          pipe.ctIndexBuffer(a, b, c, d, e, memberOf(q.uid), q.time, q.payload, retentionOf(side), now);
        }
        const res = await pipe.exec();
        if (!res) throw new Error('redis pipeline returned nothing');
        return answers(res.map(([err, v]) => { if (err) throw err; return v as RespReply[]; }), sent, reqs.length);
      }
      const calls: { side: WindowSide; reqs: IndexRequest[] }[] = [];
      for (const [s, ix] of grouped.entries()) {
        const mine = ix.map((i) => reqs[i]!);
        for (let i = 0; i < mine.length; i += INDEX_CHUNK) calls.push({ side: s === 0 ? 'session' : 'flow', reqs: mine.slice(i, i + INDEX_CHUNK) });
      }
      const replies = await indexCalls(calls, now);
      return answers(replies.map((r) => {
        if (r instanceof RespError) throw refusal(r);
        if (!Array.isArray(r)) throw new Error(`Redis answered index-many with ${r === null ? 'nil' : typeof r}`);
        return r;
      }), sent, reqs.length);
    },
    /** The rebuild's bulk write (window-bulk-write.ts): the state index-one.lua leaves for these
     *  events, one RESP buffer per call; `seen`: the windows this rebuild gave their TTL. */
    bulkIndex: createWindowBulkWrite(redis, retentionOf),
    /** Registers a waiter on its window key and reads the stored events of `range`, nearest
     *  first; throws CT_HOT_KEY (permanent) when the key has maxWaitersPerKey live waiters. */
    async registerAndProbe(key: string, lookup: Lookup, expiresAt: number, range: ReadRange, now: number): Promise<WindowRead> {
      const [a, b, c, d] = keysOf(key, sideOf(lookup.mode));
      const cap = opts.maxWaitersPerKey ?? 5000;
      const { v: [cut, out], built } = await betweenMarkers<[number, (Buffer | null)[]]>(redis, (p) => p.ctRegisterBuffer!(a, b, c, d, lookup.lookupId, JSON.stringify(lookup), expiresAt,
        range.from, range.coreFrom, range.coreTo, range.to, range.limit, now, cap));
      if (cut === -1) throw permanent('CT_HOT_KEY', `${cap} lookups already wait on ${key}; lookup ${lookup.lookupId} of trace ${lookup.traceId} refused (raise the cap or close traces)`);
      return { events: present(out).map(decodeStored), truncated: cut === 1, built };
    },
    async unregister(key: string, lookupId: string): Promise<void> {
      const [c, d] = waiterKeys(key);
      await r.ctUnregister(c, d, lookupId);
    },
    /** Reads the stored events of `range` a lookup of `mode` needs (session or flow records), nearest the lookup window first. */
    async range(key: string, range: ReadRange, mode: LookupMode): Promise<WindowRead> {
      const [a, b] = partKeys(key, sideOf(mode));
      const [cut, out] = await r.ctRangeBuffer(a, b, range.from, range.coreFrom, range.coreTo, range.to, range.limit);
      return { events: present(out).map(decodeStored), truncated: cut === 1 };
    },
    /** The reads range() makes for each of `ranges` (lookups of `mode` on one window), in one
     *  script call that reads the events they share once (lua/range-many.lua). */
    async rangeMany(key: string, ranges: readonly ReadRange[], mode: LookupMode): Promise<WindowReads> {
      const [a, b] = partKeys(key, sideOf(mode));
      const { v: [payloads, ...runs], built } = await betweenMarkers<[(Buffer | null)[], ...number[]]>(redis, (p) => p.ctRangeManyBuffer!(a, b, ...ranges.flatMap((x) => [x.from, x.coreFrom, x.coreTo, x.to, x.limit])));
      const stored: StoredEvent[] = [];
      const slot = payloads.map((p) => (p === null ? -1 : stored.push(decodeStored(p)) - 1)); // a member without payload is left out, as range() does
      const reads = ranges.map((_, i) => {
        const [cut, coreAt, coreN, beforeAt, beforeN, afterAt, afterN] = runs.slice(7 * i, 7 * i + 7) as number[];
        const picks: number[] = [];
        const take = (p: number) => { if (slot[p]! >= 0) picks.push(slot[p]!); };
        for (let p = coreAt!; p < coreAt! + coreN!; p++) take(p);
        for (let p = beforeAt! + beforeN! - 1; p >= beforeAt!; p--) take(p); // newest first
        for (let p = afterAt!; p < afterAt! + afterN!; p++) take(p);
        return { picks, truncated: cut === 1 };
      });
      return { stored, reads, built };
    },
    /** The windows' build: STATE_MARKER's value (when they were built), null while they are not
     *  (lost, or being rebuilt from Kafka). */
    build(): Promise<string | null> {
      return redis.get(STATE_MARKER);
    },
    /** Pins a window (preservation order): no trimming, no TTL, until unpinned (then it lives
     *  1.5 x retention from now, like a refreshed window). */
    async pin(key: string, on: boolean): Promise<void> {
      const [ev, et] = partKeys(key, 'flow');
      const [sev, set] = partKeys(key, 'session');
      if (on) await redis.multi().set(pinKey(key), '1').persist(ev).persist(et).persist(sev).persist(set).exec();
      else {
        const f = Math.floor(retentionOf('flow') * 1.5);
        const s = Math.floor(retentionOf('session') * 1.5);
        await redis.multi().del(pinKey(key)).pexpire(ev, f).pexpire(et, f).pexpire(sev, s).pexpire(set, s).exec();
      }
    },
  };
}

export type WindowStore = ReturnType<typeof createWindowStore>;
