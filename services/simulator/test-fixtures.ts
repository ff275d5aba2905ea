// Shared by the simulator's unit tests: the demo provider registry and the shipped scenarios.
import { readFileSync, readdirSync } from 'node:fs';
import { createProviderDirectory, loadProvidersFile } from '../common/provider-directory.ts';
import type { Scenario } from './scenario.ts';
import { validateScenario } from './scenario-validate.ts';

const root = new URL('../../', import.meta.url).pathname;
export const directory = createProviderDirectory(loadProvidersFile(`${root}deploy/providers.json`));
export const scenarioDir = `${root}deploy/scenarios`;
export const scenarioFiles = (): string[] => readdirSync(scenarioDir).filter((f) => f.endsWith('.json'));
export const rawScenario = (file = 'default.json'): Record<string, unknown> => JSON.parse(readFileSync(`${scenarioDir}/${file}`, 'utf8')) as Record<string, unknown>;

/** Field edits by dotted path ('attacks.0.relay.vpn'); undefined deletes the field. */
export type Edits = Record<string, unknown>;

export function edit(raw: Record<string, unknown>, edits: Edits): Record<string, unknown> {
  for (const [path, value] of Object.entries(edits)) {
    const keys = path.split('.');
    let o = raw as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
    if (value === undefined) delete o[keys.at(-1)!]; else o[keys.at(-1)!] = value;
  }
  return raw;
}

/** A shipped scenario, edited, validated. */
export function scenario(file = 'default.json', edits: Edits = {}): Scenario {
  return validateScenario(edit(rawScenario(file), edits), directory, file);
}

export const T0 = 1_800_000_000_000;
