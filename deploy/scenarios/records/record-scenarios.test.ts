// Every record scenario, replayed in memory through the pure stages (record-replay.ts):
// the chain settles where the ground truth says, no wrong subscriber is decided, no record
// is refused, and the reverse produce order gives the same answer.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createProviderDirectory, loadProvidersFile } from '../../../services/common/provider-directory.ts';
import { judge } from '../../../services/simulator/record-judge.ts';
import { replay } from '../../../services/simulator/record-replay.ts';
import type { RecordScenario } from '../../../services/simulator/record-scenario.ts';

const here = new URL('./', import.meta.url).pathname;
const dir = createProviderDirectory(loadProvidersFile(`${here}../../providers.json`));
const files = readdirSync(here).filter((f) => f.endsWith('.json')).sort();
const load = (f: string) => JSON.parse(readFileSync(`${here}${f}`, 'utf8')) as RecordScenario;
const NOW = Date.UTC(2026, 11, 1, 12);

describe('record scenarios (deploy/scenarios/records), replayed in memory', () => {
  it('covers every failure class of issue 10, and the provider practices written since', () => {
    expect(new Set(files.map((f) => load(f).class))).toEqual(new Set([
      'overlapping-prefixes', 'hosting-relay', 'hosting-relay-owner', 'single-record-flows', 'long-sessions', 'lost-stops', 'same-ms-starts', 'out-of-order',
      'partial-window', 'contradicting-records', 'relay-tie', 'stale-sessions',
      // from RFC 2866 / 8158 / 6888 / 4787 / 5382 logging practice
      'nas-reboot',
    ]));
  });
  it.each(files)('%s settles as its ground truth says', (f) => {
    const s = load(f);
    const r = replay(s, dir, NOW);
    expect(r.rejected).toEqual([]);
    const v = judge(s, r.hops, r.status);
    expect(v.problems).toEqual([]);
    expect(v.wrongDecidedSubscriber).toBeNull();
  });
  it.each(files)('%s gives the same answer with the records produced in reverse', (f) => {
    const s = load(f);
    const a = replay(s, dir, NOW);
    const b = replay(s, dir, NOW, (m) => [...m.ordered].reverse());
    const key = (hs: typeof a.hops) => hs.map((h) => `${h.method} ${h.observedAddr} ${h.leadsToAddr} ${h.subscriberHandle} ${h.rank} ${h.confidence}`).sort();
    expect([b.status, key(b.hops)]).toEqual([a.status, key(a.hops)]);
  });
});
