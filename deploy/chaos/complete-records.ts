// The complete flow records of a chaos run's relay hosts, rebuilt from the simulator's seed, and
// the relay lookups of the true chains scored on them: what the relay timing would say with
// every record in place and no fault. The simulator is pure (same scenario, seed, t0 and run id:
// same records), so the run's records can be generated again after the run; ingest's pure
// normalisation and the join's pure resolution (the code the pipeline runs) turn them into hops.
// This is a differential check, not an oracle of the scoring: it asks whether the faults
// changed what the relay timing says, not whether the relay timing is right.
import type { Hop } from '../../schemas/types.gen.ts';
import { isScopedAddress } from '../../services/common/address.ts';
import type { ProviderDirectory } from '../../services/common/provider-directory.ts';
import { createClockSkewEstimator, DEFAULT_CLOCK_SKEW } from '../../services/ingest/domain/clock-skew.ts';
import { DEFAULT_NORMALISE, normaliseFlow, type NormaliseContext } from '../../services/ingest/domain/normalise.ts';
import { DEFAULT_JOIN_SETTINGS, lookupKey, lookupRange, resolveLookup, type JoinSettings, type ReadRange } from '../../services/join/join.ts';
import type { IndexedEvent, Lookup } from '../../services/join/join-types.ts';
import { isRelayHost } from '../../services/join/methods/relay-hosts.ts';
import type { AttackTruth, GroundTruth } from '../../services/simulator/ground-truth.ts';
import type { RawOut } from '../../services/simulator/raw-events.ts';
import { createTimeline } from '../../services/simulator/timeline.ts';
import { loadScenarioFile } from '../../services/simulator/scenario-validate.ts';
import { buildWorld, type World } from '../../services/simulator/world.ts';

type FlowIndexed = Extract<IndexedEvent, { kind: 'flow' }>;

/** Methods after which the peer (the victim side) is no longer known: a new connection. */
const NEW_CONNECTION = new Set(['RELAY_TIMING', 'VPN_SESSION']);

/**
 * The relay lookups the tracer opens on a true chain: on every endpoint a true hop leads to that
 * is a relay host (join/methods/relay-hosts.ts) while the peer is still the victim (before a
 * relay or VPN hop), with the request's window and protocol. lookupId and parentHopId name the
 * truth's hop (`truth:<depth>`), not the live chain's.
 */
export function truthRelayLookups(t: AttackTruth, dir: ProviderDirectory): Lookup[] {
  const r = t.request;
  const out: Lookup[] = [];
  for (const h of t.hops) {
    if (NEW_CONNECTION.has(h.method)) break;
    if (h.leadsTo === null) continue;
    const scope = isScopedAddress(h.leadsTo.addr) ? h.providerId : null;
    if (!isRelayHost(h.leadsTo.addr, scope, dir)) continue;
    out.push({
      lookupId: `truth:${h.depth}:relay`, traceId: t.traceId, parentHopId: `truth:${h.depth}`, depth: h.depth + 1, mode: 'relay',
      addr: h.leadsTo.addr, scopeProviderId: scope, port: h.leadsTo.port, protocol: r.protocol, peerAddr: r.dstAddr, peerPort: r.dstPort,
      windowFrom: r.observedTime - r.toleranceMs, windowTo: r.observedTime + r.toleranceMs, since: r.requestedAt,
    });
  }
  return out;
}

/**
 * Every flow record of the run indexed under one of `keys` (window keys), normalised as ingest
 * does (its clock-skew estimate fed by every record of the exporters concerned, received at
 * their emit time), with producedAt = the emit time. The run: the timeline up to `until`, then
 * the devices' shutdown flush at `until` (what the simulator's produce loop does at its end).
 */
export function hostRecords(w: World, until: number, keys: ReadonlySet<string>, dir: ProviderDirectory, stepMs = 1_000): Map<string, FlowIndexed[]> {
  const out = new Map<string, FlowIndexed[]>([...keys].map((k) => [k, []]));
  const exporters = new Set<string>();
  for (const k of keys) {
    const scope = k.includes('|') ? k.split('|')[0]! : null;
    for (const e of (scope && dir.byId(scope)?.exporters) || []) exporters.add(e);
  }
  const ctx: NormaliseContext = { byExporter: dir.byExporter, byAddress: dir.byAddress, skew: createClockSkewEstimator(DEFAULT_CLOCK_SKEW), opts: DEFAULT_NORMALISE };
  const take = (x: RawOut): void => {
    if (x.topic !== 'flows.raw' || x.expectBad || !exporters.has(x.value.exporterId)) return;
    let n;
    try { n = normaliseFlow(x.value, x.emitAt, ctx); } catch { return; }
    for (const k of n.keys) out.get(k.key)?.push({ kind: 'flow', dir: k.dir!, ev: n.event, producedAt: x.emitAt });
  };
  const tl = createTimeline(w);
  for (let t = w.t0; t < until; t += stepMs) for (const x of tl.due(t)) take(x);
  for (const x of tl.due(until)) take(x);
  for (const x of tl.shutdown(until)) take(x);
  return out;
}

/** The window key a lookup reads, as `hostRecords` takes it. */
export const readKey = (l: Lookup): string => lookupKey(l);

/**
 * What a window read of `range` returns from `events` (window-store.ts ctRange): every event of
 * the core [coreFrom, coreTo], the `limit` newest between `from` and the core and the `limit`
 * oldest between the core and `to`, a flow's window time being its start.
 */
export function readWindow<T extends FlowIndexed>(events: readonly T[], range: ReadRange): T[] {
  const t = (e: T): number => e.ev.startTime;
  const core = events.filter((e) => t(e) >= range.coreFrom && t(e) <= range.coreTo);
  const before = events.filter((e) => t(e) >= range.from && t(e) < range.coreFrom).sort((a, b) => t(b) - t(a)).slice(0, range.limit);
  const after = events.filter((e) => t(e) > range.coreTo && t(e) <= range.to).sort((a, b) => t(a) - t(b)).slice(0, range.limit);
  return [...before, ...core, ...after];
}

/** The hops the relay lookup yields from `events` as a window read of them returns them. */
export function rescore(l: Lookup, events: readonly FlowIndexed[], dir: ProviderDirectory, s: JoinSettings = DEFAULT_JOIN_SETTINGS): Hop[] {
  return resolveLookup(l, readWindow(events, lookupRange(l, s)), dir, s);
}


/**
 * The relay hops each listed trace's true relay lookups yield from the complete records of the
 * run the ground truth describes: its scenario file (as the simulator loaded it, background rate
 * `rate`), the run's seed, start and run id. Generating the run again costs what the simulator's
 * generation did (minutes for a 20-min run at 5000 events/s, one core).
 */
export function rescoreRun(o: { scenarioFile: string; rate: number; truth: GroundTruth; traceIds: readonly string[]; dir: ProviderDirectory }): Map<string, Hop[]> {
  const scenario = loadScenarioFile(o.scenarioFile, o.dir, { seed: o.truth.seed, eventsPerSecond: o.rate });
  const world = buildWorld(scenario, o.dir, o.truth.startedAt, o.truth.runId);
  const lookups = o.truth.traces.filter((t) => o.traceIds.includes(t.traceId)).flatMap((t) => truthRelayLookups(t, o.dir));
  const records = hostRecords(world, o.truth.startedAt + scenario.durationMs, new Set(lookups.map(readKey)), o.dir);
  const out = new Map<string, Hop[]>(o.traceIds.map((id) => [id, []]));
  for (const l of lookups) out.get(l.traceId)!.push(...rescore(l, records.get(readKey(l))!, o.dir));
  return out;
}
