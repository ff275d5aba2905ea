// First start on a fresh machine: every service registers its subjects at the same moment
// against an EMPTY registry (its own Apicurio container), several replicas each. Apicurio
// answers the losers of a first registration with 409 "already exists"; every start must
// still succeed, and every client must end up with the same schema id per subject.
import type { StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS, jurisdictionTopic } from '../services/common/topics.ts';
import { stackImages, startRegistryContainer } from './setup/testcontainers-stack.ts';
import { stackEndpoints } from './support/stack.ts';

/** The subjects each service ensures at start-up (services/<name>/main.ts, plus the provider feed). */
const SERVICES: Record<string, string[]> = {
  ingest: [TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.flowsNorm, TOPICS.sessionsNorm, TOPICS.providers],
  correlator: [TOPICS.flowsNorm, TOPICS.sessionsNorm, TOPICS.traceHops, TOPICS.providers],
  tracer: [TOPICS.traceRequests, TOPICS.traceHops, TOPICS.traceUpdates, TOPICS.traceState, TOPICS.audit, TOPICS.flowsNorm, TOPICS.sessionsNorm, TOPICS.providers],
  gateway: [TOPICS.traceRequests, TOPICS.traceState, TOPICS.audit, ...['GB', 'FR', 'DE', 'US'].map(jurisdictionTopic)],
};
const REPLICAS = 3;

const containers = stackEndpoints().mode === 'testcontainers';

describe.skipIf(!containers)('schema registration on an empty registry, all services at once', () => {
  let registry: StartedTestContainer;
  let url: string;
  beforeAll(async () => {
    registry = await startRegistryContainer(stackImages(process.env).registry);
    url = `http://${registry.getHost() === 'localhost' ? '127.0.0.1' : registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
  }, 240_000);
  afterAll(async () => { await registry?.stop(); });

  it('every start succeeds and every client agrees on each subject\'s id', async () => {
    const before = (await (await fetch(`${url}/subjects`)).json()) as string[];
    expect(before).toEqual([]);
    const starts = Object.entries(SERVICES).flatMap(([service, topics]) =>
      Array.from({ length: REPLICAS }, () => ({ service, topics, client: createRegistryClient({ url }) })));
    const results = await Promise.allSettled(starts.map((s) => s.client.ensureSubjects(s.topics)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${starts[i]!.service}: ${(r.reason as Error).message}`] : []));
    expect(failed).toEqual([]);
    // the id each client encodes with is the one the registry holds for the subject
    const byTopic = new Map<string, Set<number>>();
    for (const s of starts) {
      for (const t of s.topics) {
        const id = s.client.schemaIdOf(t);
        byTopic.set(t, (byTopic.get(t) ?? new Set()).add(id));
      }
    }
    for (const [topic, ids] of byTopic) {
      expect([...ids], topic).toHaveLength(1);
      const latest = (await (await fetch(`${url}/subjects/${topic}-value/versions/latest`)).json()) as { id: number; version: number; schema: string };
      expect(latest.id, topic).toBe([...ids][0]);
      // Apicurio may record a racing first registration twice (seen: 2 versions); harmless
      // only if every version is the same schema
      const versions = (await (await fetch(`${url}/subjects/${topic}-value/versions`)).json()) as number[];
      for (const v of versions) {
        const one = (await (await fetch(`${url}/subjects/${topic}-value/versions/${v}`)).json()) as { schema: string };
        expect(JSON.parse(one.schema), `${topic} version ${v}`).toEqual(JSON.parse(latest.schema));
      }
      const cfg = (await (await fetch(`${url}/config/${topic}-value`)).json()) as { compatibilityLevel: string };
      expect(cfg.compatibilityLevel).toBe('BACKWARD');
    }
  }, 120_000);
});

