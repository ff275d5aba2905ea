// The tracer engine: owns chain state. For one trace it applies requests and hops, and for
// every open end the chain gains it registers a waiter and probes the window in one Lua
// script (register-and-probe); hops found that way are applied at once, so a chain whose
// data is already indexed resolves in one pass. Updates are published BEFORE the state is
// saved: a crash in between republishes the same seq (consumers drop seq <= seen), never
// loses an update. One in-process lock per trace serialises the consumer and the ticker.
import type { Hop, TraceRequest, TraceUpdate } from '../../schemas/types.gen.ts';
import { CrosstraceError, dependencyDown } from '../common/errors.ts';
import { createSerialQueue } from '../common/serial-queue.ts';
import { toIndexed } from '../join/indexed-events.ts';
import { lookupKey, lookupRange, resolveLookup, sawOutbound, type JoinSettings } from '../join/join.ts';
import type { Lookup } from '../join/join-types.ts';
import type { Logger } from '../common/logger.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import type { RegistryClient } from '../common/registry.ts';
import type { WindowStore } from '../join/window-store.ts';
import { applyHops, applyRequest, applyResolution, expire, noteFlowsIndexed, noteOutboundSeen, stallCheck, type ChainState, type Outcome } from './domain/chain.ts';
import { cameFrom, contestedLookups, DEFAULT_CHAIN_OPTIONS, openEnds, resolvedBy, type ChainOptions } from './domain/chain-status.ts';
import { providerWatermark, watermarkPassed } from './domain/relay-settling.ts';
import type { FlowMarks } from '../join/flow-marks.ts';
import type { ChainStore } from './chain-store.ts';
import type { TracerMetrics } from './metrics.ts';
import type { Publisher } from './publisher.ts';
import { archiveRecheck, readArchive, type ArchiveLookups } from './history-read.ts';

export type TraceInput = { kind: 'request'; req: TraceRequest } | { kind: 'hops'; hops: Hop[] };

export interface EngineDeps {
  chains: ChainStore;
  store: WindowStore;
  registry: RegistryClient;
  directory: ProviderDirectory;
  publisher: Publisher;
  settings: JoinSettings;
  stallAfterMs: number;
  /** ChainOptions.liveRefreshMs (default 15 s). */
  liveRefreshMs?: number;
  metrics: TracerMetrics;
  logger: Logger;
  now?: () => number;
  /** The archive as a second source of records (history-read.ts); none = live windows only. */
  archive?: ArchiveLookups;
  /** ChainOptions.flowExportLagMs: flow exporters' active timeout + export delay when their
   *  provider declares none (providers.json flowExportLagMs; default 65 s). */
  flowExportLagMs?: number;
  /** The flow watermark (join/flow-marks.ts); none = no relay lookup settles by silence. */
  marks?: Pick<FlowMarks, 'watermarks'>;
}

const CLOSED = new Set(['CLOSED', 'EXPIRED']);
/** Bound on register/probe rounds in one pass (a chain deeper than this continues later). */
const MAX_ROUNDS = 64;
/** How many times the usual window read a contested lookup's re-probe may take. */
const CONTEST_READ_FACTOR = 16;
/** A stale relay candidate's lookup is re-read at most every stallAfterMs, doubling up to this many times it. */
const STALE_REREAD_MAX_FACTOR = 8;

export function createTracerEngine(d: EngineDeps) {
  const now = d.now ?? Date.now;
  const chainOpts: Readonly<ChainOptions> = Object.freeze({
    ...DEFAULT_CHAIN_OPTIONS, stallAfterMs: d.stallAfterMs, relayGraceMs: Math.min(DEFAULT_CHAIN_OPTIONS.relayGraceMs, d.stallAfterMs),
    liveRefreshMs: d.liveRefreshMs ?? DEFAULT_CHAIN_OPTIONS.liveRefreshMs,
    flowExportLagMs: d.flowExportLagMs ?? DEFAULT_CHAIN_OPTIONS.flowExportLagMs,
    clockToleranceMs: d.settings.clockToleranceMs,
  });
  /** lookupId -> when a server's unanswered relay lookup was last re-read by the ticker
   *  (in memory: a restart only re-reads once more). */
  const relayReread = new Map<string, number>();
  /** lookupId -> when a stale relay candidate's lookup was last re-read and the gap to the
   *  next re-read (in memory: a restart starts the backoff over). */
  const staleReread = new Map<string, { at: number; gap: number }>();
  /** One pass at a time per trace: the consumer and the ticker never interleave on a chain. */
  const locked = createSerialQueue();
  /** The windows' fence. A window read while they are not built (lost, or being rebuilt from
   *  Kafka: after a FLUSHALL, a restart without AOF, a layout bump, `crosstrace rebuild`) may
   *  hold a decoy's record and not yet the true one's: it decides nothing (probe), and the chain
   *  keeps the lookup in `unbuiltReads` (saved with it) until a read of it on built windows.
   *  Each such read, and each tick that finds the windows unbuilt or built anew (STATE_MARKER's
   *  value changed), counts in `windowsMoved`; a tick that finds them built while the count is
   *  past `rereadAt` reads every open chain's lookups again, adding what they find and superseding
   *  nothing (they stand in for the wakes the correlator skipped, which only add, and a rebuild
   *  wakes no waiter: a full re-read could retire a true relay in a dip). A restart reads every
   *  chain again only when the windows were built anew since the last full read
   *  (chain-store.ts windowsReadUnder, kept in Redis beside the chains: a tracer down through a
   *  rebuild, e.g. a layout bump, catches up on the wakes the correlator skipped meanwhile); what
   *  a predecessor deferred is in the chains (unbuiltReads). `build`: the value the last tick found. */
  let windowsMoved = 0;
  let rereadAt = 0;
  /** Traces whose tick failed during a re-read of every chain: re-read on the next ticks until
   *  one passes (in memory: while one is owed, windowsReadUnder is not moved on, so a restart
   *  reads every chain again). */
  const rereadOwed = new Set<string>();
  let build: string | null | undefined;
  /** The build of the last re-read of every chain, until saved (windowsReadUnder): once no chain
   *  is owed one. */
  let unsaved: string | undefined;

  /** Registers `l`'s waiter and resolves it from its window; `complete` when the read was not
   *  cut. A `wide` read (settling a contested lookup, rare) may take CONTEST_READ_FACTOR times
   *  the usual events. */
  async function probe(l: Lookup, state: ChainState, wide = false): Promise<{ hops: Hop[]; complete: boolean; outbound: boolean; held?: Set<string>; deferred?: boolean }> {
    const key = lookupKey(l);
    const range = lookupRange(l, d.settings);
    if (wide) range.limit *= CONTEST_READ_FACTOR;
    let read;
    try { read = await d.store.registerAndProbe(key, l, state.request.expiresAt, range, now()); } catch (e) { throw e instanceof CrosstraceError ? e : dependencyDown('redis unavailable for register-and-probe', e); }
    d.metrics.waitersRegistered.inc({ mode: l.mode });
    if (read.built === false) {
      // the waiter stands (live records still wake it); what the read found is not used
      windowsMoved++;
      d.metrics.readsDeferred.inc();
      d.logger.info({ traceId: l.traceId, lookupId: l.lookupId, key }, 'window read while the windows are not built (a rebuild from Kafka runs): deferred until they are');
      return { hops: [], complete: false, outbound: false, deferred: true };
    }
    if (read.truncated) {
      d.metrics.truncatedReads.inc();
      d.logger.warn({ traceId: l.traceId, lookupId: l.lookupId, key, events: read.events.length }, 'window read reached its limit: the events farthest from the lookup window were left out');
    }
    const events = await toIndexed(read.events, d.registry);
    const hops = resolveLookup(l, events, d.directory, d.settings);
    const outbound = sawOutbound(l, events, d.settings);
    // what a relay read held, for a stale candidate's proof (chain.ts applyResolution): the live
    // records only, archived ones never count
    const held = l.mode === 'relay' ? new Set(events.map((e) => e.ev.eventId)) : undefined;
    if (!d.archive) return { hops, complete: !read.truncated, outbound, held };
    // same matchers, live records plus archived ones (history-read.ts decides when to ask)
    return { outbound, held, ...await readArchive(d.archive, { lookup: l, key, range, live: events, liveHops: hops, liveComplete: !read.truncated, now: now(), registry: d.registry, directory: d.directory, settings: d.settings, logger: d.logger }) };
  }

  /** The relay lookups of `state` the flow watermark passed (lookupId -> the watermark), not yet
   *  settled nor answered. The watermark is read BEFORE their windows are (the correlator moves
   *  it only after indexing): a window read after it holds every record it counts. */
  async function relaysToSettle(state: ChainState): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!d.marks || CLOSED.has(state.status)) return out;
    const waiting = state.lookups.filter((l) => l.mode === 'relay' && state.flowsIndexed?.[l.lookupId] === undefined && !resolvedBy(l, state.hops));
    if (waiting.length === 0) return out;
    let marks;
    try { marks = await d.marks.watermarks(); } catch (e) { throw dependencyDown('redis unavailable for the flow watermark', e); }
    for (const l of waiting) {
      const p = d.directory.byAddress(l.addr, l.scopeProviderId)?.provider ?? (l.scopeProviderId === null ? undefined : d.directory.byId(l.scopeProviderId));
      if (p && watermarkPassed(l, p, marks, chainOpts.flowExportLagMs, chainOpts.clockToleranceMs)) out.set(l.lookupId, providerWatermark(p, marks)!);
    }
    return out;
  }

  /** Runs inputs (and the probes they cause) against one trace; publishes, then saves. `pass`,
   *  filled in by `step`: the lookups in `staleOnly` are the ticker's re-reads of stale relay
   *  candidates (their reads supersede only what they prove stale, chain.ts applyResolution);
   *  those in `addOnly`, the tick's re-reads after the windows were (re)built: what they find is
   *  added, nothing superseded. */
  async function run(traceId: string, step: (s: ChainState | undefined) => Outcome | null, pass: { staleOnly: Set<string>; addOnly: Set<string> } = { staleOnly: new Set(), addOnly: new Set() }): Promise<TraceUpdate[]> {
    const staleOnly = pass.staleOnly;
    const loaded = await d.chains.load(traceId);
    const first = step(loaded);
    if (!first) return [];
    let state = first.state;
    const updates: TraceUpdate[] = first.update ? [first.update] : [];
    const pending = [...first.register];
    const unregister: Lookup[] = [...first.unregister ?? []];
    // two rank-1 hops of one lookup come from different resolutions: probe it again here,
    // the read that sees every event the earlier ones saw decides which hops still stand
    const reprobed = new Set<string>();
    const contest = () => {
      for (const l of contestedLookups(state)) if (!reprobed.has(l.lookupId)) { reprobed.add(l.lookupId); pending.push(l); }
    };
    contest();
    // what made this pass happen: hops a probe finds now were completed by it, even when
    // their evidence was produced earlier (end-to-end latency counts from the later one)
    const trigger = first.update?.decisiveAt ?? 0;
    // once the probes are done: the relay lookups the flow watermark passed are read once more
    // and, still silent, settled (relay-settling.ts); a relay found instead leads on
    let settle: Map<string, number> | undefined;
    /** Lookups read while the windows were not built (nothing applied), and read on built ones. */
    const deferred = new Set<string>();
    const readOnBuilt = new Set<string>();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (pending.length === 0) {
        if (settle) break;
        settle = await relaysToSettle(state);
        pending.push(...state.lookups.filter((l) => settle!.has(l.lookupId)));
        if (pending.length === 0) break;
      }
      const l = pending.shift()!;
      if (!state.lookups.some((x) => x.lookupId === l.lookupId)) continue; // dropped with a superseded hop meanwhile
      const found = await probe(l, state, reprobed.has(l.lookupId));
      if (found.deferred) { deferred.add(l.lookupId); continue; } // read again once the windows are built (tick)
      readOnBuilt.add(l.lookupId);
      const hops = found.hops.map((h) => ({ ...h, decisiveAt: Math.max(h.decisiveAt, trigger) }));
      const careful = staleOnly.has(l.lookupId) && !reprobed.has(l.lookupId);
      // an incomplete read supersedes nothing (chain.ts applyResolution): what an add-only read is
      const adds = pass.addOnly.has(l.lookupId) && !reprobed.has(l.lookupId);
      const o = applyResolution(state, l, hops, now(), d.directory, chainOpts, { complete: found.complete && !adds, held: found.held, staleOnly: careful });
      if (careful) {
        const gone = state.hops.filter((h) => cameFrom(l, h) && !o.state.hops.some((x) => x.hopId === h.hopId));
        d.metrics.staleRelayRereads.inc({ result: gone.length > 0 ? 'superseded' : 'kept' });
        if (gone.length > 0) d.logger.info({ traceId, lookupId: l.lookupId, superseded: gone.map((h) => ({ hopId: h.hopId, confidence: h.confidence, leadsTo: h.leadsToAddr })) }, 'stale relay candidate superseded: a complete re-read holding its records no longer yields it, beside a decided relay');
      }
      state = o.state;
      if (o.update) updates.push(o.update);
      if (found.outbound) {
        const seen = noteOutboundSeen(state, l, now(), d.directory, chainOpts);
        state = seen.state;
        if (seen.update) updates.push(seen.update);
      }
      const mark = settle?.get(l.lookupId);
      // only a read that found no relay settles the lookup: one whose only relay is a hop the
      // chain retired earlier (not brought back on no new evidence) is no evidence of silence
      if (mark !== undefined && found.complete && found.hops.length === 0) {
        settle!.delete(l.lookupId);
        const quiet = noteFlowsIndexed(state, l, mark, now(), d.directory, chainOpts);
        state = quiet.state;
        if (quiet.update) updates.push(quiet.update);
      }
      pending.push(...o.register);
      unregister.push(...o.unregister ?? []);
      contest();
    }
    // the fence's marks, kept with the chain: a restart or a race with the tick cannot lose them;
    // a lookup leaves them once read on built windows (or dropped with a superseded hop)
    const unbuilt = [...new Set([...(loaded?.unbuiltReads ?? []).filter((id) => !readOnBuilt.has(id)), ...deferred])]
      .filter((id) => state.lookups.some((x) => x.lookupId === id)).sort();
    const marksChanged = unbuilt.join() !== [...(loaded?.unbuiltReads ?? [])].sort().join();
    if (unbuilt.join() !== [...(state.unbuiltReads ?? [])].sort().join()) {
      const { unbuiltReads: _drop, ...rest } = state;
      state = unbuilt.length > 0 ? { ...rest, unbuiltReads: unbuilt } : rest;
    }
    if (updates.length === 0 && loaded && state.seq === loaded.seq && !marksChanged) return [];
    for (const u of updates) for (const h of u.hops) if (!loaded?.hops.some((x) => x.hopId === h.hopId)) d.metrics.hopsApplied.inc({ method: h.method });
    if (updates.length > 0) await d.publisher.publish(updates);
    const open = !CLOSED.has(state.status);
    if (!(await d.chains.save(traceId, loaded?.seq ?? -1, state, open))) {
      throw dependencyDown(`chain ${traceId} changed under us (seq ${loaded?.seq}); retrying`, null);
    }
    if (!open) unregister.push(...state.lookups);
    for (const l of unregister) await d.store.unregister(lookupKey(l), l.lookupId);
    return updates;
  }

  /** A server's relay lookups still open past their grace with no outbound flow seen: their
   *  flows may have arrived since (the correlator wakes a waiter only to find hops, so a window
   *  holding just the server's outbound flow yields nothing to the chain); re-read each at most
   *  every stallAfterMs. */
  function serverRelaysToReread(s: ChainState): Lookup[] {
    const t = now();
    const due = openEnds(s, t, chainOpts).filter((l) => l.mode === 'relay' && (s.serverRelays ?? []).includes(l.lookupId)
      && s.outboundSeen?.[l.lookupId] === undefined && t - l.since >= chainOpts.relayGraceMs
      && t - (relayReread.get(l.lookupId) ?? 0) >= chainOpts.stallAfterMs);
    for (const l of due) relayReread.set(l.lookupId, t);
    return due;
  }

  /** The relay lookups of an AMBIGUOUS chain that hold a decided rank-1 relay beside an
   *  undecided one: the correlator publishes what each of its reads finds, never what a later
   *  read no longer finds, so a candidate an early, short stretch of the flows showed (a
   *  pipeline behind when the trace opened meets the flows from the first) stays in the chain,
   *  holding it AMBIGUOUS, after the longer stretch since no longer names it (make chaos's
   *  "NOT by the data" chains). Each is re-read after stallAfterMs, then at doubling intervals
   *  up to STALE_REREAD_MAX_FACTOR times it; the read supersedes only what it proves stale. */
  function staleRelaysToReread(s: ChainState): Lookup[] {
    if (s.status !== 'AMBIGUOUS') return [];
    const t = now();
    const decisive = chainOpts.decisiveConfidence;
    const due = s.lookups.filter((l) => {
      if (l.mode !== 'relay') return false;
      const mine = s.hops.filter((h) => cameFrom(l, h));
      if (!mine.some((h) => h.rank === 1 && h.confidence >= decisive) || !mine.some((h) => h.confidence < decisive)) return false;
      const last = staleReread.get(l.lookupId);
      return t - (last?.at ?? l.since) >= (last?.gap ?? chainOpts.stallAfterMs);
    });
    for (const l of due) {
      const gap = staleReread.get(l.lookupId)?.gap;
      staleReread.set(l.lookupId, { at: t, gap: gap === undefined ? chainOpts.stallAfterMs : Math.min(gap * 2, STALE_REREAD_MAX_FACTOR * chainOpts.stallAfterMs) });
    }
    return due;
  }

  return {
    /** For /healthz: whether the last tick found the windows built (reads deferred while not). */
    health: (): { windows: string } => ({ windows: build === undefined ? 'not checked yet' : build === null ? 'not built (lost, or a rebuild from Kafka runs): window reads deferred' : `built ${build}` }),
    /** The chain options this engine applies (a chain rebuilt from Kafka opens its lookups with them). */
    options: chainOpts,
    /** Applies a trace's inputs in order (a request, hops), each as one locked pass. */
    async process(traceId: string, inputs: TraceInput[]): Promise<TraceUpdate[]> {
      const out: TraceUpdate[] = [];
      for (const input of inputs) {
        out.push(...await locked(traceId, () => run(traceId, (s) => {
          if (input.kind === 'request') return applyRequest(s, input.req, now(), d.directory, chainOpts);
          return s ? applyHops(s, input.hops, now(), d.directory, chainOpts) : null; // hops for an unknown trace: nothing to extend
        })));
      }
      return out;
    },
    /** Registers every lookup of a stored chain again and probes its window (one locked
     *  pass): after a chain was rebuilt into an empty Redis, its waiters are back and what
     *  arrived meanwhile is found. */
    async reprobe(traceId: string): Promise<TraceUpdate[]> {
      return locked(traceId, () => run(traceId, (s) => (s ? { state: s, update: null, register: [...s.lookups] } : null)));
    },
    /** Checks every open trace for expiry and stall. */
    async tick(): Promise<void> {
      let found: string | null;
      try { found = await d.store.build(); } catch (e) { throw dependencyDown('redis unavailable for the windows\' marker', e); }
      if (found === null || (build !== undefined && build !== found)) windowsMoved++;
      else if (build === undefined) {
        // a start: were the windows built anew since every open chain was last read in full?
        // (unreadable, e.g. a NOPERM before the ACL file is re-rendered: read them all rather
        // than stop every tick before the chains)
        let readUnder: string | null | undefined;
        try { readUnder = await d.chains.windowsReadUnder(); } catch (e) { d.logger.warn({ err: e }, 'the build the open chains were last read under is unreadable: every open chain is read again'); }
        if (readUnder !== found) windowsMoved++;
      }
      build = found;
      d.metrics.windowsBuilt.set(found === null ? 0 : 1);
      // every open chain read again, once, after the windows were not built or built anew
      const moved = windowsMoved;
      const rereadAll = found !== null && moved > rereadAt;
      if (rereadAll) d.logger.warn({ build: found }, 'windows built (again): every open chain\'s lookups are read again');
      const ids = await d.chains.openTraces();
      let stalled = 0;
      let failed: unknown;
      /** One trace's tick: expiry, stall, and the lookups to read again: those read while the
       *  windows were not built (a first read, as it was meant to be), and after the windows were
       *  (re)built every other one, add-only (`pass`). */
      const step = (pass: { staleOnly: Set<string>; addOnly: Set<string> }, readAll: boolean) => (s: ChainState | undefined): Outcome | null => {
        if (!s) return null;
        const e = expire(s, now(), d.directory, chainOpts);
        if (e.update) return e;
        const st = stallCheck(s, now(), d.directory, chainOpts);
        const unread = new Set(s.unbuiltReads ?? []);
        if (found !== null && (readAll || unread.size > 0)) {
          d.metrics.rereadsAfterRebuild.inc();
          const again = readAll ? st.state.lookups : st.state.lookups.filter((l) => unread.has(l.lookupId));
          // a first read only where the lookup has no hop yet (its deferred first read); any
          // other, add-only (a deferred re-read of a lookup holding hops, e.g. a chain restored
          // while the windows were rebuilt, must not retire a true relay caught in a dip)
          for (const l of again) if (!unread.has(l.lookupId) || st.state.hops.some((h) => cameFrom(l, h))) pass.addOnly.add(l.lookupId);
          const all = [...st.register, ...again];
          return { ...st, register: all.filter((l, i) => all.findIndex((x) => x.lookupId === l.lookupId) === i) };
        }
        const stale = staleRelaysToReread(st.state);
        for (const l of stale) pass.staleOnly.add(l.lookupId);
        const reread = [...serverRelaysToReread(st.state), ...stale];
        // open ends older than the live windows: late records reach them only via the archive
        return d.archive ? { ...st, register: [...st.register, ...reread, ...archiveRecheck(d.archive, st.state.lookups, now())] } : { ...st, register: [...st.register, ...reread] };
      };
      for (const id of ids) {
        const pass = { staleOnly: new Set<string>(), addOnly: new Set<string>() };
        let ups: TraceUpdate[];
        // one chain's failure (a hot key refusing its lookup) does not stop the others' ticks
        const readAll = rereadAll || (found !== null && rereadOwed.has(id));
        try {
          ups = await locked(id, () => run(id, step(pass, readAll), pass));
          rereadOwed.delete(id);
        } catch (e) {
          // owed again only when retrying can help: a permanent refusal (a hot key) would make
          // every tick read all its lookups until it expires
          if (readAll && !(e instanceof CrosstraceError && !e.retriable)) rereadOwed.add(id);
          else rereadOwed.delete(id);
          failed ??= e;
          d.logger.warn({ err: e, traceId: id }, 'tick of one trace failed; retried next tick');
          continue;
        }
        const last = ups.at(-1);
        if (last?.status === 'STALLED') stalled++;
      }
      // an entry as old as stallAfterMs is as good as none: drop it (the map stays bounded)
      for (const [id, at] of relayReread) if (now() - at >= chainOpts.stallAfterMs) relayReread.delete(id);
      for (const [id, r] of staleReread) if (now() - r.at > 2 * STALE_REREAD_MAX_FACTOR * chainOpts.stallAfterMs) staleReread.delete(id);
      // reads deferred meanwhile moved it on: read again next tick (a chain whose tick failed in
      // this re-read is owed one: rereadOwed)
      if (rereadAll) rereadAt = moved;
      for (const id of rereadOwed) if (!ids.includes(id)) rereadOwed.delete(id); // closed meanwhile
      // every open chain read under this build (none owed any more): a restart need not read
      // them again. A chain refused for good (not owed) counts as read, as in memory.
      if (rereadAll) unsaved = found!;
      if (unsaved !== undefined && unsaved !== found) unsaved = undefined; // built anew meanwhile: its own pass saves it
      if (unsaved !== undefined && rereadOwed.size === 0) {
        // unsaved, a restart reads every chain again: a cost, not a loss
        try { await d.chains.setWindowsReadUnder(unsaved); } catch (e) { d.logger.warn({ err: e }, 'could not save the build the open chains were read under: a restart will read them all again'); }
        unsaved = undefined;
      }
      d.metrics.openTraces.set(ids.length);
      d.metrics.stalledTraces.set(stalled);
      if (failed !== undefined) throw failed;
    },
  };
}

export type TracerEngine = ReturnType<typeof createTracerEngine>;
