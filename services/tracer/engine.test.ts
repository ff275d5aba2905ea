import { describe, expect, it } from 'vitest';
import type { TraceUpdate } from '../../schemas/types.gen.ts';
import type { Logger } from '../common/logger.ts';
import type { RegistryClient } from '../common/registry.ts';
import { DEFAULT_JOIN_SETTINGS } from '../join/join.ts';
import type { WindowStore } from '../join/window-store.ts';
import type { ChainStore } from './chain-store.ts';
import type { ChainState } from './domain/chain.ts';
import { dir, H, req, T } from './domain/four-jurisdictions.fixture.ts';
import { createTracerEngine } from './engine.ts';
import { createTracerMetrics } from './metrics.ts';
import type { Publisher } from './publisher.ts';

/** An engine over in-memory chains, windows that hold nothing, and a publisher that records. */
function engineWithLog() {
  const log: string[] = [];
  const saved = new Map<string, ChainState>();
  const chains = {
    load: async (id: string) => saved.get(id),
    save: async (id: string, expected: number, next: ChainState) => {
      if ((saved.get(id)?.seq ?? -1) !== expected) return false;
      log.push(`save ${next.seq}`);
      saved.set(id, next);
      return true;
    },
    openTraces: async () => [...saved.keys()],
  } as unknown as ChainStore;
  const store = {
    registerAndProbe: async (_key: string, l: { mode: string; addr: string }) => { log.push(`probe ${l.mode} ${l.addr}`); return { events: [], truncated: false }; },
    unregister: async () => undefined,
  } as unknown as WindowStore;
  const publisher = { publish: async (us: TraceUpdate[]) => { log.push(`publish ${us.map((u) => `${u.seq} ${u.status}`).join(', ')}`); } } as unknown as Publisher;
  const silent = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined } as unknown as Logger;
  const engine = createTracerEngine({
    chains, store, publisher, registry: {} as RegistryClient, directory: dir, settings: DEFAULT_JOIN_SETTINGS,
    stallAfterMs: 10_000, metrics: createTracerMetrics(), logger: silent, now: () => T + 2000,
  });
  return { engine, log };
}

describe('tracer engine pass', () => {
  it('publishes the input\'s own update before probing for the next hop, and saves once every probe is done', async () => {
    const { engine, log } = engineWithLog();
    await engine.process('tr-1', [{ kind: 'request', req: req() }]);
    expect(log).toEqual(['publish 1 OPEN', 'probe session 198.51.100.7', 'save 1']);
    log.length = 0;
    // the decisive port-block hop: published before the inside host's two lookups are probed
    await engine.process('tr-1', [{ kind: 'hops', hops: [H.pb] }]);
    expect(log[0]).toBe('publish 2 EXTENDED');
    expect(log.slice(1, 3).sort()).toEqual(['probe relay 100.64.3.4', 'probe session 100.64.3.4']);
    expect(log.at(-1)).toBe('save 2');
  });
});
