import { describe, expect, it } from 'vitest';
import { dlqTopic, pipelineTopics } from './topics.ts';

describe('pipelineTopics', () => {
  // make chaos found the archive stalled for good on its first poison record: dlq.archive did
  // not exist, its producer may not create topics, so every retry of the batch failed
  it.each(['ingest', 'correlator', 'tracer', 'archive'])('creates the dead-letter topic of the %s stage', (stage) => {
    expect(pipelineTopics(3, []).map((t) => t.topic)).toContain(dlqTopic(stage));
  });
});
