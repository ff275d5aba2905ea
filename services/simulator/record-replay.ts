// Runs a record scenario through the pure stages in memory — ingest's normalisation, the
// join's window keys and matchers, the tracer's chain — without Kafka or Redis: the same
// decisions the services take, for fast checks of every scenario and of record order. The
// real stack runs the same files (test/real-world-traces.test.ts, bench/accuracy.bench.ts).
import type { Hop, TraceRequest, TraceStatus } from '../../schemas/types.gen.ts';
import type { IndexedEvent } from '../join/join-types.ts';
import { DEFAULT_JOIN_SETTINGS, lookupKey, lookupRange, resolveLookup, sawOutbound } from '../join/join.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import { createClockSkewEstimator, DEFAULT_CLOCK_SKEW } from '../ingest/domain/clock-skew.ts';
import { DEFAULT_NORMALISE, normaliseFlow, normaliseSession, type NormaliseContext } from '../ingest/domain/normalise.ts';
import { applyRequest, applyResolution, noteFlowsIndexed, noteOutboundSeen, stallCheck, type ChainState } from '../tracer/domain/chain.ts';
import { DEFAULT_CHAIN_OPTIONS, resolvedBy } from '../tracer/domain/chain-status.ts';
import { materialise, type Materialised, type RecordScenario } from './record-scenario.ts';

export interface ReplayResult { hops: Hop[]; status: TraceStatus; rejected: string[] }

/** The trace request a scenario opens (the requester's view of the connection). */
export function requestOf(s: RecordScenario, m: Materialised, traceId: string, now: number): TraceRequest {
  return {
    traceId, action: 'OPEN', requestingJurisdiction: s.request.jurisdiction, legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: `${s.request.jurisdiction}-${s.name}`,
    srcAddr: s.request.src, srcPort: m.srcPort, dstAddr: s.request.dst, dstPort: s.request.dstPort, protocol: s.request.protocol,
    observedTime: m.observedTime, toleranceMs: s.request.toleranceMs, requestedAt: now, expiresAt: now + 3_600_000,
  };
}

/** Replays `s` (records in its produce order, or `order` when given) and returns the settled chain. */
export function replay(s: RecordScenario, dir: ProviderDirectory, now: number, order?: (m: Materialised) => Materialised['ordered']): ReplayResult {
  const m = materialise(s, now, 'replay');
  const ctx: NormaliseContext = { byExporter: dir.byExporter, byAddress: dir.byAddress, skew: createClockSkewEstimator(DEFAULT_CLOCK_SKEW), opts: DEFAULT_NORMALISE };
  const windows = new Map<string, IndexedEvent[]>();
  const put = (k: string, e: IndexedEvent) => windows.set(k, [...(windows.get(k) ?? []), e]);
  const rejected: string[] = [];
  for (const r of order ? order(m) : m.ordered) {
    try {
      if (r.kind === 'session') {
        const n = normaliseSession(r.ev, now, ctx);
        for (const k of n.keys) put(k.key, { kind: 'session', ev: n.event, producedAt: now });
      } else {
        const n = normaliseFlow(r.ev, now, ctx);
        for (const k of n.keys) put(k.key, { kind: 'flow', dir: k.dir === 'in' ? 'in' : 'out', ev: n.event, producedAt: now });
      }
    } catch (e) { rejected.push(`${r.ev.eventId}: ${(e as { code?: string }).code ?? (e as Error).message}`); }
  }
  const settings = DEFAULT_JOIN_SETTINGS;
  let state: ChainState = applyRequest(undefined, requestOf(s, m, `replay-${s.name}`, now), now, dir)!.state;
  // resolve every open lookup until nothing new is wanted (each lookup reads its window part)
  for (let round = 0; round < 12; round++) {
    const open = state.lookups.filter((l) => !resolvedBy(l, state.hops));
    let changed = false;
    for (const l of open) {
      const range = lookupRange(l, settings);
      const events = (windows.get(lookupKey(l)) ?? []).filter((e) => (l.mode === 'relay') === (e.kind === 'flow')
        && (e.kind === 'flow' ? e.ev.endTime >= range.from && e.ev.startTime <= range.to : e.ev.eventTime >= range.from && e.ev.eventTime <= range.to));
      const hops = resolveLookup(l, events, dir, settings);
      // a server's relay lookup that read the server's own outbound flow: the flows were there
      if (sawOutbound(l, events, settings)) state = noteOutboundSeen(state, l, now, dir).state;
      if (hops.length === 0) continue;
      const out = applyResolution(state, l, hops, now, dir);
      if (out.update) changed = true;
      state = out.state;
    }
    if (!changed) break;
  }
  // after the relay grace, the stall time and the flow exporters' lag: the status the chain
  // settles in (a session lookup nothing answers is STALLED on the running pipeline too). Every
  // record is in the windows, and the exporters go on exporting: the flow watermark passes
  // every relay lookup (a silent exporter is the real stack's case, not this one's)
  const settled = Math.max(now + DEFAULT_CHAIN_OPTIONS.relayGraceMs, now + DEFAULT_CHAIN_OPTIONS.stallAfterMs,
    ...state.lookups.map((l) => (state.relayDueAt?.[l.lookupId] ?? l.windowTo + DEFAULT_CHAIN_OPTIONS.flowExportLagMs))) + 1;
  for (const l of state.lookups) if (l.mode === 'relay' && !resolvedBy(l, state.hops)) state = noteFlowsIndexed(state, l, settled, settled, dir).state;
  state = stallCheck(state, settled, dir).state;
  return { hops: state.hops, status: state.status, rejected };
}
