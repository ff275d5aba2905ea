// Hop method 4, relay timing (stepping stone): which inbound flow X -> R feeds the relay's
// outbound flow R -> peer? Pure: no I/O. Scoring of one pair lives in relay-scoring.ts.
//
// Input contract: `events` are the flow records indexed under R (dir 'in' = dst R,
// dir 'out' = src R) covering the outbound flow's whole span, not only the lookup window:
// the longer the shared history, the stronger the activity correlation.
import { permanent, type CrosstraceError } from '../../common/errors.ts';
import type { HopCandidate, IndexedEvent, JoinOptions, Lookup } from '../join-types.ts';
import { buildFlowSeries, type FlowSeries } from './flow-series.ts';
import { crowding } from './relay-evidence.ts';
import { outboundView, scorePair, type PairScore } from './relay-scoring.ts';
import { hopId } from './hop-id.ts';

export interface RelayOptions {
  /** Finest comparison window, ms: the activity series are compared on the coarser exporter's
   *  record windows, merged up to at least this width; clock-skew lags step by binMs / 4.
   *  Default 1000. */
  binMs: number;
  /** Least time overlap (clock skew included) for an inbound flow to be a candidate, ms. Default 2000. */
  minOverlapMs: number;
  /** Longest usual lead of the inbound start over the outbound start (relay set-up), ms. Default 1000. */
  maxStartLeadMs: number;
  /** Least pair score (natural-log likelihood ratio, nats) to report a candidate. Default 8:
   *  on simulated traffic (simulator/relay-fixtures.ts, 3000 trials, 333k unrelated flows) unrelated
   *  flows reach it at a rate of ~3e-5, far under the 1e-3 budget; ~98% of true relays do. */
  threshold: number;
  /** Most hops returned per lookup, count. Default 5. */
  maxCandidates: number;
  /** When no candidate reaches `threshold`, the best `ambiguousCandidates` whose calibrated
   *  confidence is at least `candidateFloor` are still reported (the chain shows them and is
   *  AMBIGUOUS, not "no relay found"): one- and two-record flows (30 min NetFlow / 60 s IPFIX
   *  active timeouts) among hundreds of inbound connections often score below the threshold
   *  although the true inbound ranks first or near it. Defaults 3 and 0.1. */
  ambiguousCandidates: number;
  candidateFloor: number;
  /** Longest pause within one connection: records of a 5-tuple resuming within this after an
   *  exporter-side end (idle timeout) continue the flow; END_OF_FLOW always ends it, ms. Default 120000. */
  flowGapMs: number;
}

export const DEFAULT_RELAY_OPTIONS: Readonly<RelayOptions> = Object.freeze({
  binMs: 1_000,
  minOverlapMs: 2_000,
  maxStartLeadMs: 1_000,
  threshold: 8,
  maxCandidates: 5,
  ambiguousCandidates: 3,
  candidateFloor: 0.1,
  flowGapMs: 120_000,
});

/** Merges overrides into the defaults once, rejects unknown keys and bad values (CT_CONFIG,
 *  naming the key), freezes. */
export function relayOptions(overrides: Partial<RelayOptions> = {}): Readonly<RelayOptions> {
  const bad = (field: string, message: string): CrosstraceError =>
    permanent('CT_CONFIG', `relay options: ${field} ${message}`, { field });
  for (const key of Object.keys(overrides)) {
    if (!(key in DEFAULT_RELAY_OPTIONS)) throw bad(key, `is not an option (known: ${Object.keys(DEFAULT_RELAY_OPTIONS).join(', ')})`);
  }
  const o = { ...DEFAULT_RELAY_OPTIONS, ...overrides };
  const positive: (keyof RelayOptions)[] = ['binMs', 'minOverlapMs', 'maxStartLeadMs', 'flowGapMs'];
  for (const key of positive) {
    if (!Number.isFinite(o[key]) || o[key] <= 0) throw bad(key, `must be a positive number of ms, got ${o[key]}`);
  }
  if (!Number.isFinite(o.threshold)) throw bad('threshold', `must be a finite number of nats, got ${o.threshold}`);
  if (!Number.isInteger(o.maxCandidates) || o.maxCandidates < 1) throw bad('maxCandidates', `must be an integer >= 1, got ${o.maxCandidates}`);
  if (!Number.isInteger(o.ambiguousCandidates) || o.ambiguousCandidates < 0) throw bad('ambiguousCandidates', `must be an integer >= 0, got ${o.ambiguousCandidates}`);
  if (!(o.candidateFloor > 0 && o.candidateFloor <= 1)) throw bad('candidateFloor', `must be a confidence in (0, 1], got ${o.candidateFloor}`);
  return Object.freeze(o);
}

/** How much the naive-Bayes score overstates the evidence, nats: the features overlap (bytes
 *  vs packets, start vs end). Fitted on simulated traffic, where logit(P(true | score, N
 *  candidates)) = score - ln(N - 1) - 2.3 matches the observed fraction of true candidates. */
const OVERLAP_NATS = 2.3;
/** Most confidence a candidate below the threshold gets: shown, never decisive. */
export const UNDECIDED_CONFIDENCE = 0.5;
/** A timing match is statistical: its confidence stays below 1. */
const MAX_CONFIDENCE = 0.999;

interface Scored {
  out: FlowSeries;
  cand: FlowSeries;
  pair: PairScore;
  confidence: number;
}

/**
 * Ranks the inbound flows of relay `lookup.addr` that may feed its outbound flow toward
 * `lookup.peerAddr[:peerPort]` in the lookup window. Returns the candidates scoring at least
 * `opts.threshold`, best first, at most `opts.maxCandidates`; when none does, the best
 * `opts.ambiguousCandidates` with confidence >= `opts.candidateFloor` (undecided: each
 * confidence is below the decisive level); empty when nothing qualifies. Pure and
 * source-agnostic: flow records in (from windows or a history store), ranked hops out.
 * The result depends only on the set of distinct events, not on their order or duplicates.
 */
export function scoreRelay(lookup: Lookup, events: IndexedEvent[], opts: RelayOptions & JoinOptions): HopCandidate[] {
  const relay = lookup.addr;
  const peer = lookup.peerAddr;
  if (lookup.mode !== 'relay' || peer === null) return [];
  const tol = opts.clockToleranceMs;
  const series = buildFlowSeries(events, opts.flowGapMs, (e) => {
    if (lookup.scopeProviderId !== null && e.ev.providerId !== lookup.scopeProviderId) return false;
    return e.dir === 'in' ? e.ev.dstAddr === relay : e.ev.srcAddr === relay;
  });
  const outs = series.filter(
    (s) =>
      s.dir === 'out' &&
      s.dstAddr === peer &&
      (lookup.peerPort === null || s.dstPort === lookup.peerPort) &&
      (lookup.port === null || s.srcPort === lookup.port) &&
      (lookup.protocol === null || s.protocol === lookup.protocol) &&
      s.end >= lookup.windowFrom - tol &&
      s.start <= lookup.windowTo + tol,
  );
  const ins = series.filter((s) => s.dir === 'in' && s.srcAddr !== peer);

  const scored: Scored[] = [];
  for (const out of outs) scored.push(...scoreOutbound(out, ins, opts));
  // One hop per inbound connection: keep its best pairing.
  const best = new Map<string, Scored>();
  for (const s of scored) {
    const seen = best.get(s.cand.tupleKey);
    if (seen === undefined || better(s, seen)) best.set(s.cand.tupleKey, s);
  }
  const all = [...best.values()].sort((a, b) => b.pair.score - a.pair.score || (a.cand.key < b.cand.key ? -1 : 1));
  const decisive = all.filter((s) => s.pair.score >= opts.threshold).slice(0, opts.maxCandidates);
  if (decisive.length > 0) return decisive.map((s, i) => toHop(lookup, s, i + 1));
  // Below the threshold the posterior's premise (one of the candidates IS the source) is not
  // established: R may have originated the connection. Such candidates are shown, never decided.
  return all.filter((s) => s.confidence >= opts.candidateFloor).slice(0, opts.ambiguousCandidates)
    .map((s, i) => toHop(lookup, { ...s, confidence: Math.min(s.confidence, UNDECIDED_CONFIDENCE) }, i + 1));
}

/**
 * Whether `events` hold the relay host's own outbound flow toward the lookup's peer in the
 * lookup window (same filter as scoreRelay's outbound side). When they do, the window's flows
 * of that host were exported and read, so an inbound relay flow would be among them: no
 * candidate then is evidence that the host originated the connection. When they do not, the
 * read says nothing (flows past retention, or not exported yet).
 */
export function outboundSeen(lookup: Lookup, events: readonly IndexedEvent[], clockToleranceMs: number): boolean {
  if (lookup.mode !== 'relay' || lookup.peerAddr === null) return false;
  const tol = clockToleranceMs;
  return events.some((e) => e.kind === 'flow' && e.dir === 'out' && e.ev.srcAddr === lookup.addr && e.ev.dstAddr === lookup.peerAddr
    && (lookup.scopeProviderId === null || e.ev.providerId === lookup.scopeProviderId)
    && (lookup.peerPort === null || e.ev.dstPort === lookup.peerPort)
    && (lookup.port === null || e.ev.srcPort === lookup.port)
    && (lookup.protocol === null || e.ev.protocol === lookup.protocol)
    && e.ev.endTime >= lookup.windowFrom - tol && e.ev.startTime <= lookup.windowTo + tol);
}

function scoreOutbound(out: FlowSeries, ins: FlowSeries[], opts: RelayOptions & JoinOptions): Scored[] {
  const tol = opts.clockToleranceMs;
  const view = outboundView(out, opts.binMs);
  const cands = ins.filter((c) => {
    const skew = c.exporterId === out.exporterId ? 0 : tol;
    return Math.min(out.end, c.end) - Math.max(out.start, c.start) + skew >= opts.minOverlapMs;
  });
  const halfWidth = opts.maxStartLeadMs;
  const startCrowd = crowding(cands.map((c) => c.start), halfWidth);
  const endCrowd = crowding(cands.map((c) => c.end), halfWidth);
  const byTuple = new Map<string, { cand: FlowSeries; pair: PairScore }>();
  for (const [i, cand] of cands.entries()) {
    const skewMs = cand.exporterId === out.exporterId ? 0 : tol;
    const ctx = { binMs: opts.binMs, maxStartLeadMs: opts.maxStartLeadMs, skewMs, startCrowd: startCrowd[i]!, endCrowd: endCrowd[i]! };
    const pair = scorePair(view, cand, ctx);
    // One connection exported by several exporters counts once, by its best series.
    const seen = byTuple.get(cand.tupleKey);
    if (seen === undefined || pair.score > seen.pair.score) byTuple.set(cand.tupleKey, { cand, pair });
  }
  // One posterior over the hypotheses "candidate i fed the outbound flow" and "none did (R
  // originated it)": P(i) = e^a_i / (1 + Σ_j e^a_j), a_i = score_i + ln prior odds (one source
  // among the candidates). A lone strong candidate gets what it got alone; two near-identical
  // ones share it (~0.5 each, equal scores equal confidences): never decided by which address
  // sorts first.
  const lnPriorOdds = -Math.log(Math.max(1, byTuple.size - 1)) - OVERLAP_NATS;
  const all = [...byTuple.values()];
  const top = Math.max(0, ...all.map(({ pair }) => pair.score + lnPriorOdds));
  const norm = Math.exp(-top) + all.reduce((sum, { pair }) => sum + Math.exp(pair.score + lnPriorOdds - top), 0);
  return all.map(({ cand, pair }) => {
    const p = Math.exp(pair.score + lnPriorOdds - top) / norm;
    return { out, cand, pair, confidence: Math.round(Math.min(MAX_CONFIDENCE, p) * 1e6) / 1e6 };
  });
}

function better(a: Scored, b: Scored): boolean {
  return a.pair.score !== b.pair.score ? a.pair.score > b.pair.score : a.out.key < b.out.key;
}

function toHop(lookup: Lookup, s: Scored, rank: number): HopCandidate {
  const { out, cand } = s;
  const evidence = [...cand.intervals, ...out.intervals].map((i) => i.eventId).sort();
  // Identity = the two connections, not their records: a re-evaluation as more interim records
  // arrive updates the same hop (confidence, lastSeen) instead of adding a new one.
  const identity = [`flow:${out.exporterId}|${out.tupleKey}`, `flow:${cand.exporterId}|${cand.tupleKey}`];
  return {
    traceId: lookup.traceId,
    hopId: hopId(lookup.traceId, lookup.parentHopId, 'RELAY_TIMING', identity),
    parentHopId: lookup.parentHopId,
    depth: lookup.depth,
    jurisdiction: cand.jurisdiction ?? out.jurisdiction ?? 'ZZ',
    providerId: cand.providerId ?? out.providerId ?? 'unknown',
    method: 'RELAY_TIMING',
    observedAddr: lookup.addr,
    observedPort: out.srcPort,
    leadsToAddr: cand.srcAddr,
    leadsToPort: cand.srcPort,
    subscriberHandle: null,
    evidenceEventIds: evidence,
    confidence: s.confidence,
    rank,
    firstSeen: cand.start,
    lastSeen: cand.end,
    active: !cand.final,
    windowFrom: lookup.windowFrom,
    windowTo: lookup.windowTo,
    decisiveAt: Math.max(cand.maxProducedAt, out.maxProducedAt),
  };
}
