import type { Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { permanent } from '../common/errors.ts';
import type { JoinSettings } from '../join/join.ts';
import type { ConsumedMessage } from '../common/kafka.ts';
import { createLogger } from '../common/logger.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import type { RegistryClient } from '../common/registry.ts';
import type { IndexRequest, WindowStore } from '../join/window-store.ts';
import { createCorrelatorMetrics } from './metrics.ts';
import { createCorrelatorPipeline } from './pipeline.ts';

const msg = (over: Partial<ConsumedMessage> = {}): ConsumedMessage => ({
  topic: 'flows.norm', partition: 0, offset: '7', key: Buffer.from('fr-cgn|100.64.3.4'), value: Buffer.from([0, 0, 0, 0, 1, 2, 3]),
  headers: { 'ct-uid': 'fr-flow-1/e1', 'ct-time': '1700000000000', 'ct-origin-ts': '1700000000500', 'ct-dir': 'in' }, timestamp: 1700000001000, ...over,
});

describe('correlator stage with a record whose body does not decode', () => {
  it('dead-letters it with its reason and indexes the rest (the partition keeps moving)', async () => {
    const indexed: string[] = [];
    const sent: { topic: string; messages: { headers?: Record<string, string> }[] }[] = [];
    const store = { indexMany: async (reqs: IndexRequest[]) => { indexed.push(...reqs.map((r) => r.uid)); return reqs.map(() => ({ isNew: true, waiters: [] })); } } as unknown as WindowStore;
    // decodeKnown as the registry's: it throws what decode rejects with (the record is read at once)
    const decodeKnown = (_t: string, v: Buffer) => { if (v[0] !== 0) throw permanent('CT_BAD_MAGIC', 'not framed'); return {}; };
    const registry = { decode: async (t: string, v: Buffer) => decodeKnown(t, v), decodeKnown } as unknown as RegistryClient;
    const producer = { sendBatch: async ({ topicMessages }: { topicMessages: typeof sent }) => { sent.push(...topicMessages); return []; } } as unknown as Producer;
    const p = createCorrelatorPipeline({ store, registry, producer, directory: {} as ProviderDirectory, settings: {} as JoinSettings, metrics: createCorrelatorMetrics(), logger: createLogger('test', 'silent') });
    await p.handle([msg(), msg({ offset: '8', value: Buffer.from('{"not":"avro"}'), headers: { ...msg().headers, 'ct-uid': 'bad/1' } })]);
    expect(indexed).toEqual(['fr-flow-1/e1:flow-in']);
    expect(sent.map((t) => [t.topic, t.messages.map((m) => m.headers?.['ct-reasonCode'])])).toEqual([['dlq.correlator', ['CT_BAD_MAGIC']]]);
  });
});

describe('correlator stage with a record of a schema id the registry does not know', () => {
  it('dead-letters it when fetching its writer fails for good, and indexes the known records around it', async () => {
    const indexed: string[] = [];
    const sent: { topic: string; messages: { headers?: Record<string, string> }[] }[] = [];
    const store = { indexMany: async (reqs: IndexRequest[]) => { indexed.push(...reqs.map((r) => r.uid)); return reqs.map(() => ({ isNew: true, waiters: [] })); } } as unknown as WindowStore;
    // schema id 1 fetched already; id 9 not: decodeKnown says so, and its fetch is refused (404)
    const decodeKnown = (_t: string, v: Buffer) => (v.readUInt32BE(1) === 1 ? {} : undefined);
    const decode = async (_t: string, v: Buffer) => { if (v.readUInt32BE(1) === 9) throw permanent('CT_UNKNOWN_SCHEMA', 'schema 9 not found'); return {}; };
    const registry = { decode, decodeKnown } as unknown as RegistryClient;
    const producer = { sendBatch: async ({ topicMessages }: { topicMessages: typeof sent }) => { sent.push(...topicMessages); return []; } } as unknown as Producer;
    const p = createCorrelatorPipeline({ store, registry, producer, directory: {} as ProviderDirectory, settings: {} as JoinSettings, metrics: createCorrelatorMetrics(), logger: createLogger('test', 'silent') });
    const known = (i: number) => msg({ offset: String(i), value: Buffer.from([0, 0, 0, 0, 1, 2, 3]), headers: { ...msg().headers, 'ct-uid': `fr-flow-1/e${i}` } });
    await p.handle([known(1), msg({ offset: '2', value: Buffer.from([0, 0, 0, 0, 9, 2, 3]), headers: { ...msg().headers, 'ct-uid': 'unknown/2' } }), known(3)]);
    expect(indexed).toEqual(['fr-flow-1/e1:flow-in', 'fr-flow-1/e3:flow-in']);
    expect(sent.map((t) => [t.topic, t.messages.map((m) => m.headers?.['ct-reasonCode'])])).toEqual([['dlq.correlator', ['CT_UNKNOWN_SCHEMA']]]);
  });
});

describe('correlator stage with records older than the live windows', () => {
  it('indexes only what the windows still cover (flows: the retention; sessions: the session retention) and counts the rest', async () => {
    const indexed: string[] = [];
    const store = { indexMany: async (reqs: IndexRequest[]) => { indexed.push(...reqs.map((r) => r.uid)); return reqs.map(() => ({ isNew: true, waiters: [] })); } } as unknown as WindowStore;
    const registry = { decode: async () => ({}), decodeKnown: () => undefined } as unknown as RegistryClient;
    const metrics = createCorrelatorMetrics();
    const NOW = 1_700_000_000_000;
    const DAY = 86_400_000;
    const p = createCorrelatorPipeline({ store, registry, producer: {} as Producer, directory: {} as ProviderDirectory, settings: {} as JoinSettings, metrics,
      logger: createLogger('test', 'silent'), now: () => NOW, liveRetention: { flowMs: DAY, sessionMs: 14 * DAY } });
    const at = (uid: string, topic: string, ago: number) => msg({ topic, headers: { ...msg().headers, 'ct-uid': uid, 'ct-time': String(NOW - ago) } });
    await p.handle([at('f-new', 'flows.norm', 3_600_000), at('f-old', 'flows.norm', 10 * DAY), at('s-10d', 'sessions.norm', 10 * DAY), at('s-21d', 'sessions.norm', 21 * DAY)]);
    expect(indexed).toEqual(['f-new:flow-in', 's-10d']);
    const text = await metrics.stage.registry.getSingleMetricAsString('crosstrace_correlator_archive_only_events_total');
    expect(text).toMatch(/kind="flow"[^}]*} 1/);
    expect(text).toMatch(/kind="session"[^}]*} 1/);
  });
});

describe('correlator stage with a waiter whose lookup is older than the live windows', () => {
  it('leaves it to the tracer (live windows + archive together) and resolves a recent one itself', async () => {
    const NOW = 1_700_000_000_000;
    const DAY = 86_400_000;
    const waiter = (id: string, ago: number) => ({ lookupId: id, traceId: 't', parentHopId: null, depth: 1, mode: 'relay', addr: '100.64.3.4', scopeProviderId: null,
      port: null, windowFrom: NOW - ago, windowTo: NOW - ago + 2_000 });
    const read: string[] = [];
    const store = {
      indexMany: async (reqs: IndexRequest[]) => reqs.map(() => ({ isNew: true, waiters: [waiter('old', 10 * DAY), waiter('new', 60_000)] })),
      rangeMany: async (_k: string, ranges: unknown[]) => { read.push(`rangeMany ${ranges.length}`); return { stored: [], reads: ranges.map(() => ({ picks: [], truncated: false })), built: true }; },
    } as unknown as WindowStore;
    const registry = { decode: async () => ({}), decodeKnown: () => undefined } as unknown as RegistryClient;
    const metrics = createCorrelatorMetrics();
    const settings = { maxFlowAgeMs: 60_000, maxSessionAgeMs: DAY, clockToleranceMs: 2_000, windowReadLimit: 100 } as JoinSettings;
    const p = createCorrelatorPipeline({ store, registry, producer: { sendBatch: async () => [] } as unknown as Producer, directory: {} as ProviderDirectory, settings, metrics,
      logger: createLogger('test', 'silent'), now: () => NOW, archiveAnswersOlderThanMs: DAY });
    await p.handle([msg({ headers: { ...msg().headers, 'ct-time': String(NOW - 60_000) } })]);
    expect(read).toEqual(['rangeMany 1']); // the recent waiter's window was read, the old one's not
    expect(await metrics.stage.registry.getSingleMetricAsString('crosstrace_correlator_waiters_left_to_archive_total')).toMatch(/ 1$/m);
  });
});

describe('correlator stage with waiters met', () => {
  const relay = (id: string) => ({ lookupId: id, traceId: `t-${id}`, parentHopId: null, depth: 1, mode: 'relay', addr: '192.0.2.7', scopeProviderId: null, port: null, protocol: 6,
    peerAddr: '198.51.100.1', peerPort: 443, windowFrom: 1_700_000_000_000 - 10_000, windowTo: 1_700_000_000_000, since: 1_700_000_000_000 }); // around the events' ct-time
  const setup = (advance: () => Promise<void>) => {
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    const store = {
      indexMany: async (reqs: IndexRequest[]) => { log.push('indexed'); return reqs.map((_, i) => ({ isNew: true, waiters: [relay(`l${i}`)] })); },
      rangeMany: async (key: string, ranges: unknown[]) => {
        log.push(`read ${key}`);
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return { stored: [], reads: ranges.map(() => ({ picks: [], truncated: false })), built: true };
      },
    } as unknown as WindowStore;
    const registry = { decode: async () => ({ exporterId: 'x-flow-1', exportTime: 1 }), decodeKnown: () => undefined } as unknown as RegistryClient;
    const sent: unknown[] = [];
    const producer = { sendBatch: async ({ topicMessages }: { topicMessages: unknown[] }) => { sent.push(...topicMessages); return []; } } as unknown as Producer;
    const marks = { advance: async () => { log.push('marked'); await advance(); } };
    const settings = { maxSessionAgeMs: 1e9, clockToleranceMs: 2000, maxFlowAgeMs: 3_600_000, windowReadLimit: 100 } as JoinSettings;
    const p = createCorrelatorPipeline({ store, registry, producer, directory: {} as ProviderDirectory, settings, metrics: createCorrelatorMetrics(), logger: createLogger('test', 'silent'), marks: marks as never });
    const msgs = [1, 2, 3].map((i) => msg({ offset: String(i), key: Buffer.from(`k${i}`), headers: { ...msg().headers, 'ct-uid': `fr-flow-1/e${i}` } }));
    return { p, msgs, log, sent, most: () => most };
  };

  it('reads the windows of the waiters met together, after indexing, and advances the watermark after indexing', async () => {
    const s = setup(async () => undefined);
    await s.p.handle(s.msgs);
    expect(s.log[0]).toBe('indexed');
    expect(s.log.slice(1).sort()).toEqual(['marked', 'read k1', 'read k2', 'read k3']);
    expect(s.most()).toBe(3);
  });

  it('fails the batch (retriably, nothing produced) when the watermark cannot be advanced', async () => {
    const s = setup(async () => { throw new Error('connection lost'); });
    await expect(s.p.handle(s.msgs)).rejects.toMatchObject({ retriable: true });
    expect(s.sent).toEqual([]);
  });
});

describe('correlator stage with many waiters on one window', () => {
  const T = 1_700_000_000_000; // the events' ct-time (msg())
  const waiter = (id: string, mode: 'session' | 'relay', at: number) => ({ lookupId: id, traceId: `t-${id}`, parentHopId: null, depth: 1, mode, addr: '100.64.3.4', scopeProviderId: null,
    port: null, protocol: 6, peerAddr: '198.51.100.1', peerPort: 443, windowFrom: at - 2_000, windowTo: at + 2_000, since: T });
  it('reads each window part once for all its waiters met, and skips a waiter whose read range the event is outside', async () => {
    const reads: { key: string; mode: string; ranges: number }[] = [];
    const ws = [waiter('a', 'relay', T), waiter('b', 'relay', T - 60_000), waiter('far', 'relay', T + 10 * 3_600_000), waiter('c', 'relay', T + 1_000)];
    const store = {
      indexMany: async (reqs: IndexRequest[]) => reqs.map(() => ({ isNew: true, waiters: ws })),
      rangeMany: async (key: string, ranges: unknown[], mode: string) => { reads.push({ key, mode, ranges: ranges.length }); return { stored: [], reads: ranges.map(() => ({ picks: [], truncated: false })), built: true }; },
    } as unknown as WindowStore;
    const metrics = createCorrelatorMetrics();
    const settings = { maxSessionAgeMs: 86_400_000, clockToleranceMs: 2_000, maxFlowAgeMs: 3_600_000, windowReadLimit: 100 } as JoinSettings;
    const p = createCorrelatorPipeline({ store, registry: { decode: async () => ({ exporterId: 'x-flow-1', exportTime: 1 }), decodeKnown: () => undefined } as unknown as RegistryClient,
      producer: { sendBatch: async () => [] } as unknown as Producer, directory: {} as ProviderDirectory, settings, metrics, logger: createLogger('test', 'silent') });
    await p.handle([1, 2, 3].map((i) => msg({ offset: String(i), headers: { ...msg().headers, 'ct-uid': `fr-flow-1/e${i}` } })));
    // one read of the window's flow part, with the three waiters whose range holds the events
    expect(reads).toEqual([{ key: 'fr-cgn|100.64.3.4', mode: 'relay', ranges: 3 }]);
    expect(await metrics.stage.registry.getSingleMetricAsString('crosstrace_correlator_waiter_wakeups_total')).toMatch(/ 3$/m);
    expect(await metrics.stage.registry.getSingleMetricAsString('crosstrace_correlator_waiter_wakeups_skipped_total')).toMatch(/ 3$/m); // 'far', once per event
  });
});

describe('correlator stage with flow watermark records (ingest\'s, join/flow-watermark.ts)', () => {
  it('moves the exporter\'s mark in that partition, after indexing the records before it, and indexes no event for it', async () => {
    const log: string[] = [];
    const advanced: Map<string, number>[] = [];
    const store = { indexMany: async (reqs: IndexRequest[]) => { log.push(`indexed ${reqs.map((r) => r.uid).join(',')}`); return reqs.map(() => ({ isNew: true, waiters: [] })); } } as unknown as WindowStore;
    const registry = { decode: async () => ({ exporterId: 'fr-flow-1', exportTime: 1_700_000_000_100 }), decodeKnown: () => ({ exporterId: 'fr-flow-1', exportTime: 1_700_000_000_100 }) } as unknown as RegistryClient;
    const marks = { advance: async (m: Map<string, number>) => { log.push('marked'); advanced.push(m); } };
    const metrics = createCorrelatorMetrics();
    const p = createCorrelatorPipeline({ store, registry, producer: {} as Producer, directory: {} as ProviderDirectory, settings: {} as JoinSettings, metrics, logger: createLogger('test', 'silent'), marks: marks as never });
    const mark = (partition: number, exporter: string, time: number) => msg({ partition, offset: '9', key: null, value: null, headers: { 'ct-flowmark': exporter, 'ct-flowmark-time': String(time) } });
    await p.handle([msg({ partition: 2 }), mark(2, 'fr-flow-1', 1_700_000_000_900), mark(2, 'de-flow-1', 1_700_000_000_500)]);
    expect(log).toEqual(['indexed fr-flow-1/e1:flow-in', 'marked']);
    expect(Object.fromEntries(advanced[0]!)).toEqual({ 'fr-flow-1|2': 1_700_000_000_900, 'de-flow-1|2': 1_700_000_000_500 });
    expect((await metrics.flowMarks.get()).values[0]?.value).toBe(2);
  });
});
