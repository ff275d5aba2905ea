// Who may see what of a trace update (Budapest Convention Art. 17/30): enough traffic data
// to identify the next provider and the path, nothing more.
// - The requesting jurisdiction sees the path: every hop's jurisdiction, provider,
//   endpoints, times, method, confidence; subscriber handles only of its own providers.
// - A jurisdiction the chain enters (a hop in it, or a lookup awaiting its data) sees only
//   its own hops and the lookups awaiting it, plus what it needs to act: case reference,
//   legal basis, observed time, expiry. Nothing of other jurisdictions' hops.
// - A subscriber handle appears only in the view of the provider's own jurisdiction.
import type { Hop, TraceUpdate } from '../../../schemas/types.gen.ts';

const hideHandle = (h: Hop, audience: string): Hop => (h.jurisdiction === audience ? h : { ...h, subscriberHandle: null });

/** Jurisdictions entitled to a view of this update. */
export function audiencesOf(u: TraceUpdate): string[] {
  const s = new Set<string>([u.requestingJurisdiction]);
  for (const h of u.hops) s.add(h.jurisdiction);
  for (const a of u.awaiting) if (a.jurisdiction) s.add(a.jurisdiction);
  return [...s].filter((cc) => /^[A-Z]{2}$/.test(cc)).sort();
}

export function viewFor(u: TraceUpdate, audience: string): TraceUpdate {
  if (audience === u.requestingJurisdiction) {
    return { ...u, audience, hops: u.hops.map((h) => hideHandle(h, audience)) };
  }
  const hops = u.hops.filter((h) => h.jurisdiction === audience);
  return {
    ...u,
    audience,
    // the full view's change text names other jurisdictions' endpoints: not for this audience
    change: `update ${u.seq}: ${u.status}; ${hops.length} hop(s) in ${audience}`,
    hops,
    awaiting: u.awaiting.filter((a) => a.jurisdiction === audience),
  };
}

export function viewsFor(u: TraceUpdate): Map<string, TraceUpdate> {
  return new Map(audiencesOf(u).map((cc) => [cc, viewFor(u, cc)]));
}
