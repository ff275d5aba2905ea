import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createProviderDirectory, loadProvidersFile } from '../common/provider-directory.ts';
import { DEFAULT_CLOCK_SKEW, createClockSkewEstimator } from '../ingest/domain/clock-skew.ts';
import { DEFAULT_NORMALISE, normaliseFlow, type NormaliseContext } from '../ingest/domain/normalise.ts';
import { flowExportersOf } from '../tracer/domain/relay-settling.ts';
import { exporterHeartbeats } from './record-scenario.ts';

// kafkajs' partitioner (its murmur2 is the project's, kafkajs-patch.ts, checked against kafkajs'
// own in kafkajs-patch.test.ts): where ingest's producer puts a key
const { Partitioners } = createRequire(import.meta.url)('kafkajs') as { Partitioners: { DefaultPartitioner(): (a: { topic: string; partitionMetadata: unknown[]; message: { key: string } }) => number } };

const path = new URL('../../deploy/providers.json', import.meta.url).pathname;
const providers = loadProvidersFile(path);
const dir = createProviderDirectory(providers);
const NOW = 1_800_000_000_000;
const ctx: NormaliseContext = { byExporter: dir.byExporter, byAddress: dir.byAddress, opts: DEFAULT_NORMALISE, skew: createClockSkewEstimator(DEFAULT_CLOCK_SKEW) };

describe('exporter heartbeats', () => {
  // An exporter's flow watermark is the minimum over the flows.norm partitions that carried its
  // records: a heartbeat reaching one partition left it held back by any other partition an
  // earlier run's records of that exporter had reached (collector-e2e after relay-backlog)
  for (const partitions of [1, 6, 12]) {
    it(`reach every one of ${partitions} flows.norm partitions for each flow exporter, as ingest keys them`, () => {
      const partitioner = Partitioners.DefaultPartitioner();
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 1 }));
      const reached = new Map<string, Set<number>>();
      for (const f of exporterHeartbeats(providers, NOW, 'hb-test', partitions)) {
        const n = normaliseFlow(f, NOW, ctx);
        expect(n.keys.length, `${f.srcAddr} -> ${f.dstAddr} is indexed`).toBeGreaterThan(0);
        for (const k of n.keys) {
          const set = reached.get(f.exporterId) ?? new Set<number>();
          set.add(partitioner({ topic: 'flows.norm', partitionMetadata, message: { key: k.key } }));
          reached.set(f.exporterId, set);
        }
      }
      const flowExporters = providers.filter((p) => p.prefixes.some((c) => /^\d+\.\d+\.\d+\.\d+\//.test(c))).flatMap(flowExportersOf);
      expect(flowExporters.length).toBeGreaterThan(3);
      for (const e of flowExporters) expect([...reached.get(e) ?? []].sort((a, b) => a - b), e).toEqual(Array.from({ length: partitions }, (_, i) => i));
    });
  }
  it('a partition count dividing the default (12) is covered by the default heartbeats', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 1 }));
    const parts = new Set(exporterHeartbeats(providers, NOW, 'hb-test').filter((f) => f.exporterId === 'us-flow-1')
      .flatMap((f) => normaliseFlow(f, NOW, ctx).keys.map((k) => partitioner({ topic: 'flows.norm', partitionMetadata, message: { key: k.key } }))));
    expect(parts.size).toBe(6);
  });
  it('come from addresses no record scenario (deploy/scenarios/records) uses, nor the range test/support/chain-scenario.ts draws from', () => {
    const dirUrl = new URL('../../deploy/scenarios/records/', import.meta.url);
    const used = new Set<string>();
    for (const f of readdirSync(dirUrl).filter((x) => x.endsWith('.json'))) for (const m of readFileSync(new URL(f, dirUrl), 'utf8').matchAll(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g)) used.add(m[0]);
    expect(used.size).toBeGreaterThan(20);
    const srcs = new Set(exporterHeartbeats(providers, NOW, 'hb-test').map((f) => f.srcAddr));
    expect([...srcs].filter((a) => used.has(a))).toEqual([]);
    // chain-scenario: CGN 198.51.100.1-240, DE exit 203.0.113.1-100, US client 198.18.0-254.x
    const last = (a: string) => Number(a.split('.')[3]);
    for (const a of srcs) {
      if (a.startsWith('198.51.100.')) expect(last(a), a).toBeGreaterThan(240);
      if (a.startsWith('203.0.113.') && last(a) < 128) expect(last(a), a).toBeGreaterThan(100);
      if (a.startsWith('198.18.')) expect(a.split('.')[2], a).toBe('255');
    }
  });
});
