// Chain state in Redis: ct:chain:{traceId} holds the serialised ChainState; ct:traces:open
// is the set of trace ids to check for stall and expiry. Writes are compare-and-set on seq
// (Lua) so two writers can never both advance a chain from the same version.
import type { Redis } from 'ioredis';
import type { ChainState } from './domain/chain.ts';

const CAS = `
-- KEYS[1] ct:chain:{traceId}   ARGV[1] expected seq (-1 = must not exist)  ARGV[2] new state JSON  ARGV[3] new seq
-- Invariant: a chain only moves from the version the writer read; seq never goes backwards.
local cur = redis.call('HGET', KEYS[1], 'seq')
local expected = tonumber(ARGV[1])
if (cur == false and expected ~= -1) or (cur ~= false and tonumber(cur) ~= expected) then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[3], 'state', ARGV[2])
return 1`;

/** See windowsReadUnder. */
export const WINDOWS_READ_UNDER = 'ct:chains:windows-read';

export function createChainStore(redis: Redis) {
  redis.defineCommand('ctChainCas', { numberOfKeys: 1, lua: CAS });
  const r = redis as Redis & { ctChainCas(k: string, expected: number, json: string, seq: number): Promise<number> };
  const key = (id: string) => `ct:chain:{${id}}`;
  return {
    async load(traceId: string): Promise<ChainState | undefined> {
      const s = await redis.hget(key(traceId), 'state');
      return s ? (JSON.parse(s) as ChainState) : undefined;
    },
    /** Saves `next` if the stored chain is still at `expectedSeq` (-1: absent). */
    async save(traceId: string, expectedSeq: number, next: ChainState, open: boolean): Promise<boolean> {
      const ok = (await r.ctChainCas(key(traceId), expectedSeq, JSON.stringify(next), next.seq)) === 1;
      if (ok) { if (open) await redis.sadd('ct:traces:open', traceId); else await redis.srem('ct:traces:open', traceId); }
      return ok;
    },
    openTraces: (): Promise<string[]> => redis.smembers('ct:traces:open'),
    /** The windows' build (their marker's value, window-layout.ts STATE_MARKER) under which every
     *  open chain was last read in full (engine.ts tick): a tracer that finds the windows built
     *  under another value (it was down while they were rebuilt) reads every open chain again.
     *  Gone with the chains on a FLUSHALL: chains rebuilt from Kafka are read again too. */
    windowsReadUnder: (): Promise<string | null> => redis.get(WINDOWS_READ_UNDER),
    setWindowsReadUnder: async (build: string): Promise<void> => { await redis.set(WINDOWS_READ_UNDER, build); },
  };
}

export type ChainStore = ReturnType<typeof createChainStore>;
