// Who may see what of a trace update (Budapest Convention Art. 17/30): enough traffic data
// to identify the next service provider and the path, nothing more. Subscriber information
// needs a separate production order.
// - The requesting jurisdiction sees the path: every hop's jurisdiction, provider, endpoints,
//   times, method, confidence, evidence ids, and every awaited lookup; subscriber handles only
//   of hops in its own jurisdiction.
// - A jurisdiction the chain enters (a hop in it, or an awaited lookup on its providers) sees
//   only its own hops and the lookups awaiting its data, plus what it needs to act: case
//   reference, legal basis, requesting jurisdiction, observed time, expiry, status. Nothing of
//   other jurisdictions' hops: not their endpoints, evidence ids or hop ids (a parentHopId
//   pointing outside the view becomes null: "the start of what this audience sees"), and a
//   neutral change sentence instead of the full one, which names other hops.
// - A subscriber handle appears only in the view of the provider's own jurisdiction.
// The update carries every jurisdiction it needs (hops and awaited lookups are resolved against
// the provider directory when the update is made), so no directory is consulted here.
import type { AwaitedLookup, Hop, TraceUpdate } from '../../../schemas/types.gen.ts';

const COUNTRY = /^[A-Z]{2}$/;

/** Jurisdictions entitled to a view of this update: the requester, every hop's and every awaited lookup's, sorted. */
export function audiencesOf(u: TraceUpdate): string[] {
  const s = new Set<string>([u.requestingJurisdiction]);
  for (const h of u.hops) s.add(h.jurisdiction);
  for (const a of u.awaiting) if (a.jurisdiction !== null) s.add(a.jurisdiction);
  return [...s].filter((cc) => COUNTRY.test(cc)).sort();
}

const ownHandleOnly = (h: Hop, audience: string): Hop => (h.jurisdiction === audience ? h : { ...h, subscriberHandle: null });

function entered(u: TraceUpdate, audience: string): TraceUpdate {
  const hops = u.hops.filter((h) => h.jurisdiction === audience);
  const visible = new Set(hops.map((h) => h.hopId));
  const inView = (id: string | null) => (id !== null && visible.has(id) ? id : null);
  const awaiting: AwaitedLookup[] = u.awaiting.filter((a) => a.jurisdiction === audience).map((a) => ({ ...a, parentHopId: inView(a.parentHopId) }));
  return {
    ...u,
    audience,
    hops: hops.map((h) => ({ ...h, parentHopId: inView(h.parentHopId) })),
    awaiting,
    change: `update ${u.seq}: ${u.status}; ${hops.length} hop(s) and ${awaiting.length} awaited lookup(s) in ${audience}`,
  };
}

/** The view of `audience` (ISO 3166-1 alpha-2) of a full update. */
export function viewFor(u: TraceUpdate, audience: string): TraceUpdate {
  if (u.audience !== null) throw new Error(`viewFor needs the full view; this update is already minimised for ${u.audience}`);
  if (audience === u.requestingJurisdiction) return { ...u, audience, hops: u.hops.map((h) => ownHandleOnly(h, audience)) };
  return entered(u, audience);
}

/** audience -> minimised view, for every audience of the update, sorted by jurisdiction. */
export function viewsFor(u: TraceUpdate): Map<string, TraceUpdate> {
  return new Map(audiencesOf(u).map((cc) => [cc, viewFor(u, cc)]));
}
