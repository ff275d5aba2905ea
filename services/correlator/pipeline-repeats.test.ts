// The stage publishes a hop version once: the hops a woken waiter resolves to are chosen by the
// join's matchers (resolveLookup, replaced here by a list the test sets), the rest is the stage.
import type { Producer } from 'kafkajs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Hop } from '../../schemas/types.gen.ts';
import type { ConsumedMessage } from '../common/kafka.ts';
import { createLogger } from '../common/logger.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import type { RegistryClient } from '../common/registry.ts';
import type { JoinSettings } from '../join/join.ts';
import type { IndexRequest, WindowStore } from '../join/window-store.ts';
import { createCorrelatorMetrics } from './metrics.ts';
import { createCorrelatorPipeline } from './pipeline.ts';

const resolved = vi.hoisted(() => ({ hops: [] as unknown[] }));
vi.mock('../join/join.ts', async (original) => ({ ...await original<typeof import('../join/join.ts')>(), resolveLookup: () => resolved.hops }));

const T = 1_700_000_000_000;
const msg = (offset: number): ConsumedMessage => ({
  topic: 'flows.norm', partition: 0, offset: String(offset), key: Buffer.from('nl|192.0.2.7'), value: Buffer.from([0, 0, 0, 0, 1]), timestamp: T,
  headers: { 'ct-uid': `nl-flow-1/e${offset}`, 'ct-time': String(T), 'ct-origin-ts': String(T), 'ct-dir': 'in' },
});
const waiter = { lookupId: 'l1', traceId: 't1', parentHopId: null, depth: 1, mode: 'relay', addr: '192.0.2.7', scopeProviderId: null, port: null, protocol: 6,
  peerAddr: '198.51.100.1', peerPort: 443, windowFrom: T - 10_000, windowTo: T, since: T };
const hop = (hopId: string, confidence: number) => ({ traceId: 't1', hopId, method: 'RELAY_TIMING', confidence, decisiveAt: T }) as Hop;

describe('correlator stage publishing the hops of woken waiters', () => {
  let sent: string[];
  let requests: number;
  let failNext: boolean;
  let p: ReturnType<typeof createCorrelatorPipeline>;
  let metrics: ReturnType<typeof createCorrelatorMetrics>;
  beforeEach(() => {
    sent = [];
    requests = 0;
    failNext = false;
    const store = {
      indexMany: async (reqs: IndexRequest[]) => reqs.map(() => ({ isNew: true, waiters: [waiter] })),
      rangeMany: async (_k: string, ranges: unknown[]) => ({ stored: [], reads: ranges.map(() => ({ picks: [], truncated: false })), built: true }),
    } as unknown as WindowStore;
    const registry = {
      decode: async () => ({ exporterId: 'nl-flow-1', exportTime: T }),
      decodeKnown: () => ({ exporterId: 'nl-flow-1', exportTime: T }),
      encode: (_t: string, h: Hop) => Buffer.from(`${h.hopId}@${h.confidence}`),
    } as unknown as RegistryClient;
    const producer = { sendBatch: async ({ topicMessages }: { topicMessages: { messages: { value: Buffer }[] }[] }) => {
      requests++;
      await new Promise((r) => setTimeout(r, 5));
      if (failNext) { failNext = false; throw new Error('broker gone'); }
      for (const t of topicMessages) sent.push(...t.messages.map((m) => m.value.toString()));
      return [];
    } } as unknown as Producer;
    metrics = createCorrelatorMetrics();
    const settings = { maxSessionAgeMs: 1e9, clockToleranceMs: 2000, maxFlowAgeMs: 3_600_000, windowReadLimit: 100 } as JoinSettings;
    p = createCorrelatorPipeline({ store, registry, producer, directory: {} as ProviderDirectory, settings, metrics, logger: createLogger('test', 'silent') });
  });
  const suppressed = async () => Number(/ (\d+)$/m.exec(await metrics.stage.registry.getSingleMetricAsString('crosstrace_correlator_hop_repeats_suppressed_total'))?.[1]);

  it('publishes a version once: an exact repeat in a later batch is counted, not published', async () => {
    resolved.hops = [hop('h1', 0.9), hop('h2', 0.1)];
    await p.handle([msg(1)]);
    await p.handle([msg(2)]);
    expect(sent).toEqual(['h1@0.9', 'h2@0.1']);
    expect(await suppressed()).toBe(2);
  });

  it('publishes a hop whose content changed under the same id', async () => {
    resolved.hops = [hop('h1', 0.9), hop('h2', 0.1)];
    await p.handle([msg(1)]);
    resolved.hops = [hop('h1', 0.6), hop('h2', 0.1)];
    await p.handle([msg(2)]);
    resolved.hops = [hop('h1', 0.9), hop('h2', 0.1)];
    await p.handle([msg(3)]);
    expect(sent).toEqual(['h1@0.9', 'h2@0.1', 'h1@0.6', 'h1@0.9']);
  });

  it('publishes again what a batch whose produce failed had resolved (the retry), and remembers it only then', async () => {
    resolved.hops = [hop('h1', 0.9)];
    failNext = true;
    await expect(p.handle([msg(1)])).rejects.toMatchObject({ retriable: true });
    expect(sent).toEqual([]);
    await p.handle([msg(1)]);
    await p.handle([msg(2)]);
    expect(sent).toEqual(['h1@0.9']);
    expect(await suppressed()).toBe(1);
  });
  it('coalesces the produce requests of batches handled at once (one wrapped stage, not one per batch)', async () => {
    resolved.hops = [hop('c1', 0.5)];
    await Promise.all([1, 2, 3, 4].map((i) => p.handle([msg(10 + i)])));
    expect(sent.length).toBeGreaterThan(0);
    expect(requests).toBeLessThan(4); // the batches handed in while the first request was in flight went together
  });
});
