import { describe, expect, it } from 'vitest';
import { dlqTopic, pipelineTopics, rawTopicOf } from './topics.ts';

describe('pipelineTopics', () => {
  // make chaos found the archive stalled for good on its first poison record: dlq.archive did
  // not exist, its producer may not create topics, so every retry of the batch failed
  it.each(['ingest', 'correlator', 'tracer', 'archive'])('creates the dead-letter topic of the %s stage', (stage) => {
    expect(pipelineTopics(3, []).map((t) => t.topic)).toContain(dlqTopic(stage));
  });
});

describe('per-provider raw topics', () => {
  it('are created for each provider given, and name the provider they speak for', () => {
    const names = pipelineTopics(3, [], ['fr-telecom']).map((t) => t.topic);
    expect(names).toEqual(expect.arrayContaining(['flows.raw.fr-telecom', 'sessions.raw.fr-telecom', 'flows.raw', 'sessions.raw']));
    expect(rawTopicOf('sessions.raw.jp-mobile')).toEqual({ base: 'sessions.raw', providerId: 'jp-mobile' });
    expect(rawTopicOf('flows.raw')).toEqual({ base: 'flows.raw', providerId: null });
    for (const t of ['flows.raw.', 'flows.norm', 'sessions.rawx']) expect(rawTopicOf(t), t).toBeUndefined();
  });
});
