// Issue 15's demo path as a test: the simulator's default scenario in wire mode (flows and
// port blocks as IPFIX, access sessions as RADIUS accounting, from each device's own loopback
// address) -> collector -> ingest -> correlator -> tracer; the attack's trace, opened by the
// simulator as GB would, ends at the true subscriber, and every hop of the ground truth is in
// the chain (method, jurisdiction, provider, observed and leads-to endpoints). The RADIUS
// records become the subscriber handle the collector makes (its keyed pseudonym), which the
// ground truth of a wire run names.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hop, TraceUpdate } from '../schemas/types.gen.ts';
import { loadProvidersFile } from '../services/common/provider-directory.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { startCollector } from '../services/collector/main.ts';
import { startCorrelator } from '../services/correlator/main.ts';
import { startIngest } from '../services/ingest/main.ts';
import type { AttackTruth } from '../services/simulator/ground-truth.ts';
import { startSimulator } from '../services/simulator/main.ts';
import { planWireDevices, withDeviceAddresses } from '../services/simulator/wire-devices.ts';
import { startTracer } from '../services/tracer/main.ts';
import { groupAtEndEnv, readerAtEnd, serviceEnv, uniqueGroup, waitHealthy } from './support/services.ts';
import { stackEndpoints, testKafka } from './support/stack.ts';

const line = (m: string, cc: string, p: string, oa: string, op: number | null, la: string | null, lp: number | null) =>
  `${m} ${cc} ${p} ${op === null ? oa : `${oa}:${op}`} -> ${la === null ? '-' : lp === null ? la : `${la}:${lp}`}`;

describe('simulator on the wire -> collector -> a trace that resolves as the ground truth says', () => {
  const stack = stackEndpoints();
  const dir = mkdtempSync(join(tmpdir(), 'sim-wire-'));
  const stops: (() => Promise<unknown>)[] = [];
  const updates: TraceUpdate[] = [];
  let truth: AttackTruth;
  let wireStats: () => unknown = () => undefined;

  beforeAll(async () => {
    const providers = loadProvidersFile('deploy/providers.json');
    const plan = planWireDevices(providers);
    writeFileSync(join(dir, 'devices.json'), JSON.stringify(plan));
    writeFileSync(join(dir, 'providers.json'), JSON.stringify(withDeviceAddresses(providers, plan)));
    const pf = join(dir, 'providers.json');
    const env = (svc: string, extra: Record<string, string> = {}) => serviceEnv(stack, {
      [`CROSSTRACE_${svc}_HTTP_PORT`]: '0', [`CROSSTRACE_${svc}_PROVIDERS_FILE`]: pf, ...extra,
    });
    // each service reads from the end of its topics as they are now, however late its first fetch
    const group = (svc: 'TRACER' | 'CORRELATOR' | 'INGEST') => groupAtEndEnv(stack, svc, uniqueGroup(`wire-sim-${svc}`));
    const tracer = await startTracer(env('TRACER', { ...await group('TRACER'), CROSSTRACE_TRACER_SIGNING_KEY_FILE: join(dir, 'node.pem'), CROSSTRACE_TRACER_TICK_MS: '200', CROSSTRACE_TRACER_TRANSACTIONAL_ID: uniqueGroup('wire-sim-tx') }));
    stops.push(tracer.stop);
    const correlator = await startCorrelator(env('CORRELATOR', await group('CORRELATOR')));
    stops.push(correlator.stop);
    const ingest = await startIngest(env('INGEST', await group('INGEST')));
    stops.push(ingest.stop);
    const collector = await startCollector(env('COLLECTOR', {
      CROSSTRACE_COLLECTOR_IPFIX_PORT: '0', CROSSTRACE_COLLECTOR_NETFLOW9_PORT: '0', CROSSTRACE_COLLECTOR_RADIUS_PORT: '0',
      CROSSTRACE_COLLECTOR_RADIUS_FILE: join(dir, 'devices.json'), CROSSTRACE_COLLECTOR_LISTENERS: 'ipfix-udp,radius-udp',
    }));
    stops.push(collector.stop);
    for (const p of [tracer.port(), correlator.port(), ingest.port(), collector.port()]) await waitHealthy(p);

    const registry = createRegistryClient({ url: stack.schemaRegistryUrl });
    await registry.ensureSubjects([TOPICS.traceUpdates]);
    const consumer = await readerAtEnd(testKafka('wire-sim'), stack, 'wire-sim-updates', [TOPICS.traceUpdates]);
    await consumer.run({ eachMessage: async ({ message }) => { updates.push(await registry.decode<TraceUpdate>(TOPICS.traceUpdates, message.value)); } });
    stops.push(() => consumer.disconnect());

    const sim = await startSimulator(env('SIMULATOR', {
      CROSSTRACE_SIMULATOR_OUTPUT: 'wire', CROSSTRACE_SIMULATOR_WIRE_DEVICES_FILE: join(dir, 'devices.json'),
      CROSSTRACE_SIMULATOR_IPFIX_PORT: String(collector.ports()['ipfix-udp']), CROSSTRACE_SIMULATOR_RADIUS_PORT: String(collector.ports()['radius-udp']),
      CROSSTRACE_SIMULATOR_OPEN_TRACE: 'true', CROSSTRACE_SIMULATOR_GROUND_TRUTH_FILE: join(dir, 'truth.json'), CROSSTRACE_SIMULATOR_PROGRESS: 'off',
      CROSSTRACE_SIMULATOR_DURATION_MS: '240000', CROSSTRACE_SIMULATOR_RATE: '100', CROSSTRACE_SIMULATOR_PROVIDERS_FILE: 'deploy/providers.json',
    }));
    stops.unshift(sim.stop); // stopped first
    truth = sim.truth.traces[0]!;
    wireStats = async () => (await fetch(`http://127.0.0.1:${sim.port()}/healthz`)).json();
  }, 300_000);
  afterAll(async () => { for (const s of stops) await s(); }, 120_000);

  it('terminates at the true subscriber with every true hop, the RADIUS and IPFIX records all accepted', async () => {
    // the LAST update: once terminated, the chain stays terminated while sessions end (a VPN
    // session's STOP after the observation ends it after the fact and must not weaken the hop);
    // wait past the first terminating update until the VPN hop has ended (the simulator sends the
    // STOPs of sessions still open at its end, 240 s after it started) or the deadline
    const until = Date.now() + 270_000;
    const mine = () => updates.filter((u) => u.traceId === truth.traceId);
    const terminated = () => mine().find((u) => u.status === 'TERMINATED_AT_SUBSCRIBER');
    while (!terminated() && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    const vpnEnded = () => mine().at(-1)?.hops.some((h) => h.method === 'VPN_SESSION' && h.rank === 1 && !h.active) ?? false;
    while (terminated() && !vpnEnded() && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    await new Promise((r) => setTimeout(r, 3_000)); // what the STOP's arrival causes downstream
    const last = mine().at(-1);
    const seen = mine().map((u) => `${u.seq} ${u.status}: ${u.change}`).join('\n');
    const hops = last?.hops.map((h) => `${line(h.method, h.jurisdiction, h.providerId, h.observedAddr, h.observedPort, h.leadsToAddr, h.leadsToPort)} conf ${h.confidence} rank ${h.rank} active ${h.active}`).join('\n');
    expect(last?.status, `updates:\n${seen}\nhops:\n${hops}\nvpn ended ${vpnEnded()}\nsimulator ${JSON.stringify(await wireStats())}`).toBe('TERMINATED_AT_SUBSCRIBER');
    const got = new Set(last!.hops.map((h: Hop) => line(h.method, h.jurisdiction, h.providerId, h.observedAddr, h.observedPort, h.leadsToAddr, h.leadsToPort)));
    for (const t of truth.hops) expect(got, 'a true hop').toContain(line(t.method, t.jurisdiction, t.providerId, t.observed.addr, t.observed.port, t.leadsTo?.addr ?? null, t.leadsTo?.port ?? null));
    const end = last!.hops.filter((h) => h.method === 'ACCESS_SESSION' && h.providerId === truth.terminal.providerId);
    expect(end.map((h) => h.subscriberHandle)).toContain(truth.terminal.subscriberHandle);
    expect(truth.terminal.subscriberHandle).toMatch(/^sub-[0-9a-f]{16}$/); // the collector's pseudonym, not the simulator's account name
    const health = (await wireStats()) as { wire: { radiusSent: number; radiusGaveUp: number; ipfixRecords: number } };
    expect(health.wire.ipfixRecords).toBeGreaterThan(0);
    expect(health.wire.radiusSent).toBeGreaterThan(0);
    expect(health.wire.radiusGaveUp).toBe(0);
  }, 300_000);
});
