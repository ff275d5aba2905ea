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
    const registry = { decode: async (_t: string, v: Buffer) => { if (v[0] !== 0) throw permanent('CT_BAD_MAGIC', 'not framed'); return {}; } } as unknown as RegistryClient;
    const producer = { sendBatch: async ({ topicMessages }: { topicMessages: typeof sent }) => { sent.push(...topicMessages); return []; } } as unknown as Producer;
    const p = createCorrelatorPipeline({ store, registry, producer, directory: {} as ProviderDirectory, settings: {} as JoinSettings, metrics: createCorrelatorMetrics(), logger: createLogger('test', 'silent') });
    await p.handle([msg(), msg({ offset: '8', value: Buffer.from('{"not":"avro"}'), headers: { ...msg().headers, 'ct-uid': 'bad/1' } })]);
    expect(indexed).toEqual(['fr-flow-1/e1:flow-in']);
    expect(sent.map((t) => [t.topic, t.messages.map((m) => m.headers?.['ct-reasonCode'])])).toEqual([['dlq.correlator', ['CT_BAD_MAGIC']]]);
  });
});
