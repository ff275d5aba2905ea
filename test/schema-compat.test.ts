// Every schema in the repo must be BACKWARD compatible with its last released version
// (schemas/released/<newest>/), as judged by the real registry's compatibility endpoint.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSchemas } from '../schemas/catalog.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { stackEndpoints } from './support/stack.ts';

const releasedRoot = new URL('../schemas/released/', import.meta.url).pathname;
const newest = readdirSync(releasedRoot).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a))[0]!;
const current = loadSchemas();

async function registerReleased(url: string, subject: string, schema: unknown): Promise<void> {
  const h = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
  const r1 = await fetch(`${url}/subjects/${subject}/versions`, { method: 'POST', headers: h, body: JSON.stringify({ schema: JSON.stringify(schema) }) });
  expect(r1.ok, `registering released ${subject}: HTTP ${r1.status} ${await r1.text()}`).toBe(true);
  const r2 = await fetch(`${url}/config/${subject}`, { method: 'PUT', headers: h, body: JSON.stringify({ compatibility: 'BACKWARD' }) });
  expect(r2.ok).toBe(true);
}

describe(`schemas are BACKWARD compatible with release ${newest}`, () => {
  const run = Date.now().toString(36);
  for (const file of readdirSync(`${releasedRoot}${newest}`)) {
    const name = file.replace(/\.json$/, '');
    it(`${name}`, async () => {
      const { schemaRegistryUrl } = stackEndpoints();
      const registry = createRegistryClient({ url: schemaRegistryUrl });
      const subject = `compat-${run}-${name}-value`;
      await registerReleased(schemaRegistryUrl, subject, JSON.parse(readFileSync(`${releasedRoot}${newest}/${file}`, 'utf8')));
      const schema = current.get(name);
      expect(schema, `${name} was released but is gone from schemas/`).toBeDefined();
      expect(await registry.isCompatible(subject, schema)).toBe(true);
    });
  }

  it('the check can fail: a new field without a default is refused', async () => {
    const { schemaRegistryUrl } = stackEndpoints();
    const registry = createRegistryClient({ url: schemaRegistryUrl });
    const subject = `compat-${run}-negative-value`;
    const base = current.get('FlowEvent') as { fields: unknown[] };
    await registerReleased(schemaRegistryUrl, subject, base);
    const broken = { ...base, fields: [...base.fields, { name: 'mandatoryNew', type: 'string', doc: 'no default: old records cannot be read' }] };
    expect(await registry.isCompatible(subject, broken)).toBe(false);
  });
});
