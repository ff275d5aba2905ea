// What the gateway knows of traces, rebuilt at start by reading the topics from the beginning:
// - who owns each trace (the requesting jurisdiction): from trace.state when the tracer has
//   published it (authoritative), else from the first OPEN on trace.requests (the tracer
//   ignores a later OPEN of the same id), which includes the gateway's own requests;
// - the OPEN request, as the template of EXTEND / CLOSE requests;
// - the latest expiry the owner's EXTENDs asked for (trace.requests, and the gateway's own just
//   produced), so an extension is judged against the queued ones before the tracer answers;
// - per jurisdiction, its newest verified view of each trace (from trace.updates.<CC>), and
//   the live listeners of that jurisdiction's stream. A listener of one jurisdiction is only
//   ever called with that jurisdiction's views.
import type { SignedTraceUpdate, TraceRequest, TraceStatus, TraceUpdate } from '../../schemas/types.gen.ts';

export interface TraceFacts { owner: string; status: TraceStatus | null; expiresAt: number; template: TraceRequest }
export type ViewListener = (s: SignedTraceUpdate) => void;

/** A request template rebuilt from the full view when the OPEN is no longer on trace.requests
 *  (retention). The tracer reads only traceId, action, requestingJurisdiction, requestedAt and
 *  expiresAt of an EXTEND / CLOSE; the endpoint fields are filled from the chain's root. */
function templateOf(s: TraceUpdate): TraceRequest {
  const root = s.awaiting.find((a) => a.parentHopId === null);
  const first = s.hops.find((h) => h.parentHopId === null);
  return {
    traceId: s.traceId, action: 'OPEN', requestingJurisdiction: s.requestingJurisdiction, legalBasis: s.legalBasis, caseReference: s.caseReference,
    srcAddr: root?.addr ?? first?.observedAddr ?? '0.0.0.0', srcPort: root?.port ?? first?.observedPort ?? null, dstAddr: '0.0.0.0', dstPort: null,
    protocol: 0, observedTime: s.observedTime, toleranceMs: 0, requestedAt: s.publishedAt, expiresAt: s.expiresAt,
  };
}

export function createTraceBook() {
  const opens = new Map<string, TraceRequest>();
  const extended = new Map<string, Map<string, number>>(); // traceId -> jurisdiction -> latest expiry asked
  const states = new Map<string, TraceUpdate>();
  const views = new Map<string, Map<string, SignedTraceUpdate>>();
  const listeners = new Map<string, Set<ViewListener>>();

  return {
    /** A request seen on trace.requests or just produced by this gateway: the first OPEN wins;
     *  an EXTEND raises the expiry its jurisdiction asked for (counted only for the owner). */
    noteRequest(req: TraceRequest): void {
      if (req.action === 'OPEN' && !opens.has(req.traceId)) opens.set(req.traceId, req);
      if (req.action !== 'EXTEND') return;
      const m = extended.get(req.traceId) ?? new Map<string, number>();
      m.set(req.requestingJurisdiction, Math.max(m.get(req.requestingJurisdiction) ?? 0, req.expiresAt));
      extended.set(req.traceId, m);
    },
    /** A full view from trace.state; an older seq than held is ignored. */
    noteState(u: TraceUpdate): void {
      const held = states.get(u.traceId);
      if (!held || held.seq < u.seq) states.set(u.traceId, u);
    },
    facts(traceId: string): TraceFacts | undefined {
      const s = states.get(traceId);
      const o = opens.get(traceId);
      const asked = (owner: string, at: number): number => Math.max(at, extended.get(traceId)?.get(owner) ?? 0);
      if (s) return { owner: s.requestingJurisdiction, status: s.status, expiresAt: asked(s.requestingJurisdiction, s.expiresAt), template: o?.requestingJurisdiction === s.requestingJurisdiction ? o : templateOf(s) };
      if (o) return { owner: o.requestingJurisdiction, status: null, expiresAt: asked(o.requestingJurisdiction, o.expiresAt), template: o };
      return undefined;
    },
    /** A verified view for `cc`; false (and nobody told) when not newer than the one held. */
    noteView(cc: string, s: SignedTraceUpdate): boolean {
      let m = views.get(cc);
      if (!m) { m = new Map(); views.set(cc, m); }
      const held = m.get(s.update.traceId);
      if (held && held.update.seq >= s.update.seq) return false;
      m.set(s.update.traceId, s);
      for (const fn of listeners.get(cc) ?? []) fn(s);
      return true;
    },
    view: (cc: string, traceId: string): SignedTraceUpdate | undefined => views.get(cc)?.get(traceId),
    /** Newest view of every trace `cc` has, oldest publication first. */
    views: (cc: string): SignedTraceUpdate[] => [...(views.get(cc)?.values() ?? [])].sort((a, b) => a.update.publishedAt - b.update.publishedAt),
    /** Calls `fn` with every new view for `cc`; returns the unsubscribe function. */
    listen(cc: string, fn: ViewListener): () => void {
      let set = listeners.get(cc);
      if (!set) { set = new Set(); listeners.set(cc, set); }
      set.add(fn);
      return () => { set.delete(fn); };
    },
    listenerCount: (cc: string): number => listeners.get(cc)?.size ?? 0,
    /**
     * Forgets traces that ended (CLOSED, EXPIRED, or past their expiry) more than `keepMs`
     * before `now`: their facts and every jurisdiction's view. The book would otherwise grow
     * with every trace ever opened. Returns how many traces went.
     */
    prune(now: number, keepMs: number): number {
      const gone: string[] = [];
      for (const id of new Set([...opens.keys(), ...states.keys()])) {
        const s = states.get(id);
        const endedAt = s && (s.status === 'CLOSED' || s.status === 'EXPIRED') ? Math.min(s.publishedAt, s.expiresAt) : (s ?? opens.get(id)!).expiresAt;
        if (endedAt < now - keepMs) gone.push(id);
      }
      for (const id of gone) {
        opens.delete(id);
        extended.delete(id);
        states.delete(id);
        for (const m of views.values()) m.delete(id);
      }
      return gone.length;
    },
    size: () => ({ traces: new Set([...opens.keys(), ...states.keys()]).size, views: [...views.values()].reduce((n, m) => n + m.size, 0) }),
  };
}

export type TraceBook = ReturnType<typeof createTraceBook>;
