import { describe, expect, it } from 'vitest';
import { dlqTopic, exporterRawTopics, pipelineTopics, rawTopicOf } from './topics.ts';

describe('pipelineTopics', () => {
  // make chaos found the archive stalled for good on its first poison record: dlq.archive did
  // not exist, its producer may not create topics, so every retry of the batch failed
  it.each(['ingest', 'correlator', 'tracer', 'archive'])('creates the dead-letter topic of the %s stage', (stage) => {
    expect(pipelineTopics(3, []).map((t) => t.topic)).toContain(dlqTopic(stage));
  });
});

describe('per-exporter raw topics', () => {
  it('are created for each exporter given, and name the provider and the exporter they speak for', () => {
    const specs = pipelineTopics(3, [], [{ providerId: 'fr-telecom', exporterId: 'fr-cgn-1' }, { providerId: 'us-access', exporterId: '127.0.0.1' }]);
    expect(specs.map((t) => t.topic)).toEqual(expect.arrayContaining(['flows.raw.fr-telecom.fr-cgn-1', 'sessions.raw.fr-telecom.fr-cgn-1', 'sessions.raw.us-access.127.0.0.1', 'flows.raw', 'sessions.raw']));
    expect(specs.find((t) => t.topic === 'flows.raw.fr-telecom.fr-cgn-1')?.numPartitions).toBe(1);
    expect(rawTopicOf('sessions.raw.jp-mobile.jp-cgn-1')).toEqual({ base: 'sessions.raw', providerId: 'jp-mobile', exporterId: 'jp-cgn-1' });
    expect(rawTopicOf('sessions.raw.us-access.127.0.0.1')).toEqual({ base: 'sessions.raw', providerId: 'us-access', exporterId: '127.0.0.1' });
    expect(rawTopicOf('flows.raw')).toEqual({ base: 'flows.raw', providerId: null, exporterId: null });
    // a provider-wide name is no raw topic of anybody's
    for (const t of ['flows.raw.', 'flows.raw.fr-telecom', 'flows.raw.fr-telecom.', 'flows.norm', 'sessions.rawx']) expect(rawTopicOf(t), t).toBeUndefined();
  });

  it('are not made for ids that make no topic name (collector-attributed ids): only the collector speaks for them', () => {
    expect(exporterRawTopics([{ providerId: 'fr-telecom', exporterId: '192.0.2.2#8' }, { providerId: 'x.y', exporterId: 'a' }, { providerId: 'de-vpn', exporterId: '2001:db8::1' }])).toEqual([]);
  });
});
