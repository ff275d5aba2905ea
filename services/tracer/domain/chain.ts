// Chain state of one trace and how requests, hops and the passing of time change it. Pure:
// `now` is passed in. Every change bumps seq by one and yields a full-view TraceUpdate; a
// redelivered request or hop, or an older version of a known hop, changes nothing and yields
// no update. The lookups to register follow from the hops (next-lookups.ts), so the same hops
// in any order and with duplicates end in the same hops, lookups and status.
import type { Hop, TraceRequest, TraceUpdate } from '../../../schemas/types.gen.ts';
import type { Lookup } from '../../join/join-types.ts';
import { cameFrom, DEFAULT_CHAIN_OPTIONS, deriveStatus, isFinal, stalledEnds, type ChainOptions } from './chain-status.ts';
import { awaitedOf, describeHop, describeHopUpdate, describeLookup, iso, toUpdate, type DirectoryLike } from './chain-update.ts';
import { hopChange, noMoreEvidence } from './hop-versions.ts';
import { firstLookup, wantedLookups, type RelayHostRule } from './next-lookups.ts';
import { isRelayHost } from '../../join/methods/relay-hosts.ts';
import { relayDueAt } from './relay-settling.ts';
import type { ChainState } from './chain-state.ts';
import { extendedExpiry } from '../../common/extend-step.ts';

/** Where relay lookups open (join/methods/relay-hosts.ts), from the provider directory. */
const relayRule = (dir: DirectoryLike): RelayHostRule => (addr, scope) => isRelayHost(addr, scope, dir);

/** `s` with the relay lookups of `added` noted: when their flows are due (relayDueAt, from the
 *  host's provider's flow exporters), and those on a hosting provider's server in serverRelays
 *  (chain-status.ts relaySettled: their silence also needs the server's own flow seen). */
function withRelayNotes(s: ChainState, added: readonly Lookup[], dir: DirectoryLike, o: ChainOptions): ChainState {
  const relays = added.filter((l) => l.mode === 'relay');
  if (relays.length === 0) return s;
  const providerOf = (l: Lookup) => dir.byAddress(l.addr, l.scopeProviderId)?.provider ?? (l.scopeProviderId === null ? undefined : dir.byId(l.scopeProviderId));
  const due = { ...s.relayDueAt };
  for (const l of relays) {
    const p = providerOf(l);
    due[l.lookupId] = p ? relayDueAt(l, p, o.flowExportLagMs, o.clockToleranceMs) : l.windowTo + o.flowExportLagMs + o.clockToleranceMs;
  }
  const servers = relays.filter((l) => providerOf(l)?.kind === 'HOSTING');
  return { ...s, relayDueAt: due, ...(servers.length > 0 ? { serverRelays: [...new Set([...s.serverRelays ?? [], ...servers.map((l) => l.lookupId)])] } : {}) };
}

export type { DirectoryLike } from './chain-update.ts';
export type { ChainState } from './chain-state.ts';

export interface Outcome {
  state: ChainState;
  /** The full view of the change; null when nothing changed. */
  update: TraceUpdate | null;
  /** Lookups to register (and probe) now. */
  register: Lookup[];
  /** Lookups dropped with a superseded hop: their waiters go. */
  unregister?: Lookup[];
}

const unchanged = (state: ChainState): Outcome => ({ state, update: null, register: [] });

function bump(s: ChainState, change: string, now: number, decisiveAt: number, register: Lookup[], dir: DirectoryLike, o: ChainOptions): Outcome {
  const state: ChainState = { ...s, seq: s.seq + 1, lastChangeAt: now };
  return { state, update: toUpdate(state, change, now, decisiveAt, dir, o), register };
}

/**
 * OPEN creates the chain (seq 1) with the first lookup; a second OPEN of a known trace is a
 * redelivery and changes nothing. EXTEND moves expiresAt later by at least MIN_EXTEND_STEP_MS
 * (a smaller move, an equal or an earlier expiry changes nothing and publishes nothing) and
 * registers every lookup again with the new expiry; CLOSE makes the chain CLOSED. Only the requesting jurisdiction extends or closes;
 * past expiresAt the chain expires instead. Returns null for an EXTEND or CLOSE of an unknown trace.
 */
export function applyRequest(s: ChainState | undefined, req: TraceRequest, now: number, dir: DirectoryLike, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): Outcome | null {
  if (s && s.request.traceId !== req.traceId) return unchanged(s);
  if (req.action === 'OPEN') {
    if (s) return unchanged(s);
    const first = firstLookup(req, now);
    const lookups = wantedLookups(req, [], o.followRanks, now, relayRule(dir));
    const state = withRelayNotes({ request: req, seq: 0, status: 'OPEN', hops: [], lookups, lastChangeAt: now }, lookups, dir, o);
    const what = `${first.addr}${req.srcPort === null ? '' : `:${req.srcPort}`} -> ${req.dstAddr}${req.dstPort === null ? '' : `:${req.dstPort}`}`;
    return bump(state, `trace opened by ${req.requestingJurisdiction}: ${what} at ${iso(req.observedTime)}`, now, req.requestedAt, lookups, dir, o);
  }
  if (!s) return null;
  if (isFinal(s.status) || s.request.requestingJurisdiction !== req.requestingJurisdiction) return unchanged(s);
  if (now > s.request.expiresAt) return expire(s, now, dir, o);
  if (req.action === 'CLOSE') return bump({ ...s, status: 'CLOSED' }, `closed by ${req.requestingJurisdiction}`, now, req.requestedAt, [], dir, o);
  if (extendedExpiry(s.request.expiresAt, req.expiresAt) === s.request.expiresAt) return unchanged(s); // less than MIN_EXTEND_STEP_MS: nothing material
  const ext: ChainState = { ...s, request: { ...s.request, expiresAt: req.expiresAt } };
  // every lookup is registered again: a waiter carries the expiry it was registered with, and
  // the first record indexed after that drops it as expired (index-one.lua), so without this an
  // extended chain's earlier lookups were never woken again once the old expiry passed
  return bump({ ...ext, status: deriveStatus(ext, now, o) }, `expiry extended to ${iso(req.expiresAt)}`, now, req.requestedAt, [...ext.lookups], dir, o);
}

/**
 * Adds new hops and newer versions of known ones (hop-versions.ts); registers the lookups the
 * chain now wants and has not registered yet. Hops of another trace are ignored. A chain past
 * its expiry expires instead.
 */
export function applyHops(s: ChainState, hops: readonly Hop[], now: number, dir: DirectoryLike, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): Outcome {
  return applyChange(s, hops, [], now, dir, o);
}

/** What a read of a lookup was: `complete` when it was not cut at its limit (it sees every
 *  event an earlier resolution saw); `held`, the ids of the records it read (live windows); and
 *  `staleOnly` for the ticker's re-read of a relay lookup that holds a decided relay beside
 *  undecided candidates (engine.ts): it may supersede only what it proves stale (below). */
export interface ReadFacts { complete: boolean; held?: ReadonlySet<string>; staleOnly?: boolean }

/** Whether `after` still holds, from lookup `l`, a hop the read yielded (`found`: hopIds); for
 *  a staleOnly read, `found` is the hops it yielded DECIDED (rank 1, at least decisiveConfidence),
 *  and the chain's copy must be decided too (the chain keeps its own copy of a hop when the read's
 *  has less evidence, hop-versions.ts). Superseding the rest without such an answer would leave
 *  the lookup with none, or with no decided relay although the read found one; and a relay lookup
 *  with no answer can settle the host's owner as the subscriber (noteFlowsIndexed). */
function keepsAnswer(after: ChainState, l: Lookup, found: ReadonlySet<string>, decidedOnly: boolean, o: ChainOptions): boolean {
  return after.hops.some((h) => cameFrom(l, h) && found.has(h.hopId) && (!decidedOnly || (h.rank === 1 && h.confidence >= o.decisiveConfidence)));
}

/**
 * Applies the candidate set one read of lookup `l` found now (the tracer's own probe).
 *
 * A COMPLETE read that found something supersedes the hops of `l` the chain holds that this set
 * no longer has — a later START ended the session they stood for, or the record that made them
 * look best was a decoy — and they leave the chain with everything found beyond them (their
 * lookups' waiters go, see Outcome.unregister); but only when the chain keeps one of the hops
 * the read found (keepsAnswer), else nothing is superseded: a read can yield only hops the chain
 * retired earlier on no new evidence, which stay out (a read is not fenced from a window still
 * being rebuilt, which can hold a decoy's record without the one that retired it), and superseding
 * the rest would then leave the lookup with no answer. A read that finds nothing, or is cut at its
 * limit, supersedes nothing (a trimmed window is no evidence against a hop; a cut read holds fewer
 * candidates, and a wrong one can look decided among them).
 *
 * A `staleOnly` read (complete, of a relay lookup) supersedes only the undecided hops of `l`
 * (confidence below decisiveConfidence) whose every record it read (`held`) and no longer
 * yields — the same matcher on a superset of a hop's evidence no longer names it: a candidate an
 * early, short stretch of the flows showed, which the correlator published then and never takes
 * back — and only when this read yielded a decided rank-1 relay of `l` and the chain AFTER the
 * change holds it decided too. A true relay shown undecided can drop out of a longer read for a while
 * (bench/relay-dips.ts), so the lookup's last answer, or a decided one, is never superseded this
 * way: that would hand the chain to the host's owner on the strength of one read.
 */
export function applyResolution(s: ChainState, l: Lookup, hops: readonly Hop[], now: number, dir: DirectoryLike, o: ChainOptions = DEFAULT_CHAIN_OPTIONS,
  read: ReadFacts = { complete: true }): Outcome {
  if (!read.complete || hops.length === 0 || isFinal(s.status) || now > s.request.expiresAt) return applyHops(s, hops, now, dir, o);
  const found = new Set(hops.map((h) => h.hopId));
  const missing = s.hops.filter((h) => cameFrom(l, h) && !found.has(h.hopId));
  const held = read.held;
  const decidedFound = new Set(hops.filter((h) => h.rank === 1 && h.confidence >= o.decisiveConfidence).map((h) => h.hopId));
  const supersede = !read.staleOnly ? missing
    : l.mode !== 'relay' || held === undefined || decidedFound.size === 0 ? []
      : missing.filter((h) => h.confidence < o.decisiveConfidence && h.evidenceEventIds.length > 0 && h.evidenceEventIds.every((id) => held.has(id)));
  if (supersede.length === 0) return applyHops(s, hops, now, dir, o);
  const out = applyChange(s, hops, supersede, now, dir, o);
  return keepsAnswer(out.state, l, read.staleOnly ? decidedFound : found, read.staleOnly === true, o) ? out : applyHops(s, hops, now, dir, o);
}

function applyChange(s: ChainState, hops: readonly Hop[], supersede: readonly Hop[], now: number, dir: DirectoryLike, o: ChainOptions): Outcome {
  if (isFinal(s.status)) return unchanged(s);
  if (now > s.request.expiresAt) return expire(s, now, dir, o);
  // the superseded hops and every hop found beyond them go; the superseded are kept as retired
  const gone = new Set(supersede.map((h) => h.hopId));
  for (let grew = gone.size > 0; grew;) {
    grew = false;
    for (const h of s.hops) if (h.parentHopId !== null && gone.has(h.parentHopId) && !gone.has(h.hopId)) { gone.add(h.hopId); grew = true; }
  }
  const retired = new Map((s.retired ?? []).map((h) => [h.hopId, h]));
  for (const h of supersede) retired.set(h.hopId, h);
  const byId = new Map(s.hops.filter((h) => !gone.has(h.hopId)).map((h) => [h.hopId, h]));
  const added = new Map<string, Hop>();
  const updated = new Map<string, Hop>();
  for (const h of hops) {
    if (h.traceId !== s.request.traceId) continue;
    const old = retired.get(h.hopId);
    if (old && noMoreEvidence(h, old)) continue; // an old claim, already superseded
    if (old) retired.delete(h.hopId); // new evidence: a claim again
    const change = hopChange(byId.get(h.hopId), h, o.liveRefreshMs);
    if (change === 'unchanged') continue;
    byId.set(h.hopId, h);
    if (added.has(h.hopId) || change === 'added') added.set(h.hopId, h);
    else updated.set(h.hopId, h);
  }
  if (added.size === 0 && updated.size === 0 && gone.size === 0) return unchanged(s);

  const dropped = s.lookups.filter((l) => l.parentHopId !== null && gone.has(l.parentHopId));
  const kept = s.lookups.filter((l) => !dropped.includes(l));
  const known = new Set(kept.map((l) => l.lookupId));
  const nextHops = [...byId.values()];
  const register = wantedLookups(s.request, nextHops, o.followRanks, now, relayRule(dir)).filter((l) => !known.has(l.lookupId));
  const { retired: _before, ...rest } = s;
  const next = withRelayNotes({ ...rest, hops: nextHops, lookups: [...kept, ...register], ...(retired.size > 0 ? { retired: [...retired.values()] } : {}) }, register, dir, o);
  const status = deriveStatus(next, now, o);
  const changed = [...added.values(), ...updated.values()];
  const change = [
    ...supersede.map((h) => `superseded ${describeHop(h)}${gone.size > supersede.length ? ` (and ${gone.size - supersede.length} hop(s) beyond)` : ''}`),
    ...[...added.values()].map((h) => `hop ${describeHop(h)}`),
    ...[...updated.values()].map((h) => `hop ${describeHopUpdate(h)}`),
    ...(status === s.status ? [] : [`now ${status}`]),
  ].join('; ');
  const decisiveAt = changed.length > 0 ? Math.max(...changed.map((h) => h.decisiveAt)) : now;
  const out = bump({ ...next, status }, change, now, decisiveAt, register, dir, o);
  return dropped.length > 0 ? { ...out, unregister: dropped } : out;
}

/**
 * Notes that a read of relay lookup `l` saw its host's own outbound flow toward the peer (join
 * relay-timing.ts outboundSeen): the window's flows were exported, so no inbound relay flow
 * among them is evidence (once the export lag passed) that the host originated the connection.
 * Only the first sighting counts; a lookup the chain does not hold changes nothing.
 */
export function noteOutboundSeen(s: ChainState, l: Lookup, now: number, dir: DirectoryLike, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): Outcome {
  if (isFinal(s.status) || l.mode !== 'relay' || s.outboundSeen?.[l.lookupId] !== undefined || !s.lookups.some((x) => x.lookupId === l.lookupId)) return unchanged(s);
  const next: ChainState = { ...s, outboundSeen: { ...s.outboundSeen, [l.lookupId]: now } };
  const status = deriveStatus(next, now, o);
  const why = `flows of ${describeLookup(awaitedOf(l, dir))} read: its outbound flow toward ${l.peerAddr ?? 'the peer'} seen${status === s.status ? '' : `; now ${status}`}`;
  return bump({ ...next, status }, why, now, now, [], dir, o);
}

/**
 * Notes that relay lookup `l` is settled in event time: the flow watermark of its host's flow
 * exporters (`watermark`, UTC ms) passed the window's end + export lag, and a read of its window
 * made after the watermark was read found no relay (the caller's order: watermark, then window).
 * Only the first note counts; a lookup the chain does not hold, or one a hop came from, changes nothing.
 */
export function noteFlowsIndexed(s: ChainState, l: Lookup, watermark: number, now: number, dir: DirectoryLike, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): Outcome {
  if (isFinal(s.status) || l.mode !== 'relay' || s.flowsIndexed?.[l.lookupId] !== undefined || !s.lookups.some((x) => x.lookupId === l.lookupId)) return unchanged(s);
  if (s.hops.some((h) => cameFrom(l, h))) return unchanged(s);
  const next: ChainState = { ...s, flowsIndexed: { ...s.flowsIndexed, [l.lookupId]: watermark } };
  const status = deriveStatus(next, now, o);
  const why = `flows of ${describeLookup(awaitedOf(l, dir))} indexed up to ${iso(watermark)}: no relay${status === s.status ? '' : `; now ${status}`}`;
  return bump({ ...next, status }, why, now, now, [], dir, o);
}

/**
 * The chain a trace had, from its last full update and its request (Redis lost it: the tracer's
 * rebuild, chain-rebuild.ts): seq, status and hops as published, expiry moved by EXTENDs, and
 * the lookups those hops want as applyChange opens them, relay lookups on hosts and their due
 * times included. Without the relay lookups an AMBIGUOUS "owner or relay" chain had nothing
 * pending and the next tick terminated it at the host's owner on no evidence. A lookup waits
 * since the time the update's awaiting list gives it (else since the update: never earlier than
 * it began), so a STALLED or overdue chain does not flip back for a grace period. What an update
 * does not carry starts over: a relay lookup settled before settles again once the flow
 * watermark (rebuilt with the windows) passes it.
 */
export function restoreChain(req: TraceRequest, u: TraceUpdate, now: number, dir: DirectoryLike, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): ChainState {
  const request = { ...req, expiresAt: Math.max(req.expiresAt, u.expiresAt) };
  const hops = u.hops.map((h) => ({ ...h, pathConfidence: null, onBestPath: null }));
  const at = (l: Pick<Lookup, 'parentHopId' | 'addr' | 'port' | 'windowFrom' | 'windowTo'>) => JSON.stringify([l.parentHopId, l.addr, l.port, l.windowFrom, l.windowTo]);
  const waited = new Map(u.awaiting.map((a) => [at(a), a.since]));
  const lookups = wantedLookups(request, hops, o.followRanks, now, relayRule(dir)).map((l) => ({ ...l, since: Math.min(now, waited.get(at(l)) ?? u.publishedAt) }));
  return withRelayNotes({ request, seq: u.seq, status: u.status, hops, lookups, lastChangeAt: u.publishedAt }, lookups, dir, o);
}

/** EXPIRED once now is past request.expiresAt (sticky). */
export function expire(s: ChainState, now: number, dir: DirectoryLike, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): Outcome {
  if (isFinal(s.status) || now <= s.request.expiresAt) return unchanged(s);
  return bump({ ...s, status: 'EXPIRED' }, `expired at ${iso(s.request.expiresAt)}`, now, now, [], dir, o);
}

/** Re-derives the status as time passes: a lookup on the best path waiting >= stallAfterMs
 *  stalls the chain (the change names it; it is in awaiting); a relay lookup whose flows are
 *  overdue makes it AMBIGUOUS (owner or relay). Terminating at a subscriber takes evidence
 *  (noteFlowsIndexed), never time alone. */
export function stallCheck(s: ChainState, now: number, dir: DirectoryLike, o: ChainOptions = DEFAULT_CHAIN_OPTIONS): Outcome {
  if (isFinal(s.status)) return unchanged(s);
  const status = deriveStatus(s, now, o);
  if (status === s.status) return unchanged(s);
  const why = status === 'STALLED'
    ? `stalled: awaiting ${stalledEnds(s, now, o).map((l) => `${describeLookup(awaitedOf(l, dir))} for ${Math.round((now - l.since) / 1000)} s`).join(', ')}`
    : status === 'TERMINATED_AT_SUBSCRIBER' ? 'terminated at the subscriber: no relay found from its host'
      : status === 'AMBIGUOUS' && s.status !== 'AMBIGUOUS' ? 'now AMBIGUOUS: the host\'s owner, or a client it relayed for (its flow records are overdue: nothing yet rules a relay out)'
        : `now ${status}`;
  return bump({ ...s, status }, why, now, now, [], dir, o);
}
