// The complete records of a chaos run rebuilt from its seed: the true chains' relay lookups, the
// records under their hosts (the same event ids the run produced), what a window read of them
// returns, and the relay answers on them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProviderDirectory, loadProvidersFile } from '../../services/common/provider-directory.ts';
import type { IndexedEvent } from '../../services/join/join-types.ts';
import { groundTruthOf } from '../../services/simulator/ground-truth.ts';
import { loadScenarioFile } from '../../services/simulator/scenario-validate.ts';
import { createTimeline } from '../../services/simulator/timeline.ts';
import { buildWorld } from '../../services/simulator/world.ts';
import { readWindow, rescoreRun, truthRelayLookups } from './complete-records.ts';
import { chaosScenario } from './scenario.ts';

const root = resolve(import.meta.dirname, '../..');
const dir = createProviderDirectory(loadProvidersFile(join(root, 'deploy/providers.json')));
const T0 = 1_800_000_000_000;

describe('complete records of a chaos run', () => {
  // four chains (three relay chains through FR, one RFC 7422 chain into JP), 300 events/s, 3 min
  const file = join(mkdtempSync(join(tmpdir(), 'chaos-complete-')), 'scenario.json');
  writeFileSync(file, JSON.stringify(chaosScenario({ chains: 4, rate: 300, firstAttackMs: 15_000, spacingMs: 10_000, durationMs: 180_000, baseFile: join(root, 'deploy/scenarios/default.json') })));
  const scenario = { ...loadScenarioFile(file, dir, { eventsPerSecond: 300 }), seed: 4242 };
  const runId = 'test-run';
  const chains = createTimeline(buildWorld(scenario, dir, T0, runId)).chains;
  const truth = groundTruthOf({ scenario, runId, t0: T0, rate: 300, traces: chains.map((c) => c.truth) });

  it('opens a relay lookup on each true chain\'s subscriber host, toward the victim, in the request\'s window', () => {
    const ls = truth.traces.map((t) => truthRelayLookups(t, dir));
    expect(ls.map((l) => l.length)).toEqual([1, 1, 1, 1]);
    for (const [i, [l]] of ls.entries()) {
      const t = truth.traces[i]!;
      const inside = t.hops.find((h) => h.method === 'PORT_BLOCK' || h.method === 'DETERMINISTIC_NAT')!;
      expect(l).toMatchObject({ mode: 'relay', addr: inside.leadsTo!.addr, scopeProviderId: inside.providerId, peerAddr: t.request.dstAddr, peerPort: t.request.dstPort,
        windowFrom: t.request.observedTime - t.request.toleranceMs, windowTo: t.request.observedTime + t.request.toleranceMs });
    }
  });

  it('rebuilds the run\'s records from its seed: the true relay is found from its own evidence, decided, and the RFC 7422 chain has no relay', () => {
    const ids = truth.traces.map((t) => t.traceId);
    const scored = rescoreRun({ scenarioFile: file, rate: 300, truth: { ...truth, seed: 4242 }, traceIds: ids, dir });
    for (const t of truth.traces) {
      const relay = t.hops.find((h) => h.method === 'RELAY_TIMING');
      const hops = scored.get(t.traceId)!;
      if (!relay) { expect(hops.filter((h) => h.confidence > 0.1)).toEqual([]); continue; }
      const best = hops.find((h) => h.rank === 1)!;
      expect({ leadsTo: `${best.leadsToAddr}:${best.leadsToPort}`, decided: best.confidence >= 0.9 }).toEqual({ leadsTo: `${relay.leadsTo!.addr}:${relay.leadsTo!.port}`, decided: true });
      // the records are the run's: the hop rests on the truth's own event ids
      expect(relay.evidenceEventIds.filter((id) => best.evidenceEventIds.includes(id)).length).toBeGreaterThan(0);
    }
    // another seed is another run: the truth's relay is not found there
    const other = rescoreRun({ scenarioFile: file, rate: 300, truth: { ...truth, seed: 4243 }, traceIds: [ids[0]!], dir }).get(ids[0]!)!;
    const relay0 = truth.traces[0]!.hops.find((h) => h.method === 'RELAY_TIMING')!;
    expect(other.some((h) => h.leadsToAddr === relay0.leadsTo!.addr && h.leadsToPort === relay0.leadsTo!.port)).toBe(false);
  });

  it('a window read keeps the whole core and the limit nearest records on each side of it, by start time', () => {
    const ev = (start: number): Extract<IndexedEvent, { kind: 'flow' }> => ({ kind: 'flow', dir: 'in', producedAt: start, ev: { eventId: `e${start}`, startTime: start } as never });
    const events = [1, 2, 3, 10, 11, 12, 20, 21, 22, 99].map(ev);
    const got = readWindow(events, { from: 2, coreFrom: 10, coreTo: 12, to: 22, limit: 2 }).map((e) => e.ev.startTime).sort((a, b) => a - b);
    expect(got).toEqual([2, 3, 10, 11, 12, 20, 21]);
  });
});
