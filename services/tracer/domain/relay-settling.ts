// When a relay lookup's silence is evidence of "no relay", in EVENT time. A relay lookup on a
// host (a subscriber's machine, a VPS, the inside of a CGN) is answered by the host's flow
// records; under an ingest backlog or after a Redis rebuild they reach the windows seconds to
// minutes late, so a grace measured on the wall clock terminates the chain at the host's owner
// although the relay's inbound flow is still on its way (a wrong subscriber at confidence 1).
// Instead: the lookup settles only once every flow exporter of the host's provider has had its
// records indexed (join/flow-watermark.ts) up to the lookup window's end + its export lag (its
// active timeout + export delay, deploy/providers.json flowExportLagMs; a record covering an
// instant is exported at most that long after it) + the clock tolerance. Pure.
import type { Provider } from '../../../schemas/types.gen.ts';
import type { Lookup } from '../../join/join-types.ts';

/** A provider's flow exporters: those of kind flow, or every exporter when it lists no kinds
 *  (records written before exporterKinds; join/methods/relay-hosts.ts exportsFlows). */
export function flowExportersOf(p: Pick<Provider, 'exporters' | 'exporterKinds'>): string[] {
  const kinds = p.exporterKinds ?? {};
  return Object.keys(kinds).length === 0 ? [...p.exporters] : p.exporters.filter((e) => kinds[e] === 'flow');
}

/** How long after an instant exporter `e` of `p` may still export a record covering it, ms. */
export const exportLagOf = (p: Pick<Provider, 'flowExportLagMs'>, e: string, defaultLagMs: number): number => p.flowExportLagMs?.[e] ?? defaultLagMs;

/** The export time each flow exporter of `p` must be indexed up to before `l` settles, UTC ms. */
export function relayDue(l: Pick<Lookup, 'windowTo'>, p: Pick<Provider, 'exporters' | 'exporterKinds' | 'flowExportLagMs'>, defaultLagMs: number, toleranceMs: number): Map<string, number> {
  return new Map(flowExportersOf(p).map((e) => [e, l.windowTo + exportLagOf(p, e, defaultLagMs) + toleranceMs]));
}

/** The latest of `relayDue`: past it (plus a grace) without the watermark, the exporters are overdue. */
export function relayDueAt(l: Pick<Lookup, 'windowTo'>, p: Pick<Provider, 'exporters' | 'exporterKinds' | 'flowExportLagMs'>, defaultLagMs: number, toleranceMs: number): number {
  const due = [...relayDue(l, p, defaultLagMs, toleranceMs).values()];
  return due.length === 0 ? l.windowTo + defaultLagMs + toleranceMs : Math.max(...due);
}

/**
 * Whether the flow watermark passed lookup `l`: every flow exporter of its host's provider `p`
 * has its records indexed up to its due time. An exporter with no watermark (silent since Redis
 * was built, or never heard of) holds it back; so does a provider with no flow exporter.
 */
export function watermarkPassed(l: Pick<Lookup, 'windowTo'>, p: Pick<Provider, 'exporters' | 'exporterKinds' | 'flowExportLagMs'> | undefined,
  marks: ReadonlyMap<string, number>, defaultLagMs: number, toleranceMs: number): boolean {
  if (!p) return false;
  const due = relayDue(l, p, defaultLagMs, toleranceMs);
  return due.size > 0 && [...due].every(([e, t]) => (marks.get(e) ?? -Infinity) >= t);
}

/** The watermark of `p`'s flow exporters as one number (their minimum), for the change text; null when one has none. */
export function providerWatermark(p: Pick<Provider, 'exporters' | 'exporterKinds'>, marks: ReadonlyMap<string, number>): number | null {
  const ms = flowExportersOf(p).map((e) => marks.get(e));
  return ms.length === 0 || ms.some((m) => m === undefined) ? null : Math.min(...(ms as number[]));
}
