// Where a relay lookup (hop method 4, relay timing) opens: on every endpoint a trace reaches
// whose provider exports flow records for it AND that is a host rather than a translator's
// public side. A host: any address of a HOSTING or ACCESS provider (a rented VPS, a compromised
// web server, an open proxy, a subscriber's machine), and the inside (scoped) addresses of a
// CGN or VPN provider (the subscriber behind the CGN). Not a host: the public pool of a CGN or
// a VPN's exit addresses (their translation is logged and followed by the session lookup), nor
// TRANSIT. Only flow exporters count (deploy/providers.json exporterKinds): a provider whose
// exporters log NAT events, RADIUS accounting or VPN sessions but no flows cannot answer relay
// timing, and a relay lookup there would only ever come back empty or from unrelated flows.
// Pure.
import type { Provider } from '../../../schemas/types.gen.ts';
import { isScopedAddress } from '../../common/address.ts';

export interface RelayHostDirectory {
  byAddress(addr: string, scopeProviderId?: string | null): { provider: Provider } | undefined;
  byId(providerId: string): Provider | undefined;
}

/** Whether relay timing can be asked at `addr` (scope: its provider for inside space). */
export function isRelayHost(addr: string, scopeProviderId: string | null, dir: RelayHostDirectory): boolean {
  let scoped: boolean;
  try { scoped = isScopedAddress(addr); } catch { return false; }
  const p = dir.byAddress(addr, scopeProviderId)?.provider ?? (scoped && scopeProviderId !== null ? dir.byId(scopeProviderId) : undefined);
  if (!p || !exportsFlows(p)) return false;
  if (p.kind === 'HOSTING' || p.kind === 'ACCESS') return true;
  return (p.kind === 'CGN' || p.kind === 'VPN') && scoped;
}

/** Whether `p` has a flow exporter: one of kind flow, or, when the provider lists no kinds at
 *  all (records written before exporterKinds), any exporter. */
export function exportsFlows(p: Pick<Provider, 'exporters' | 'exporterKinds'>): boolean {
  const kinds = p.exporterKinds ?? {};
  if (Object.keys(kinds).length === 0) return p.exporters.length > 0;
  return p.exporters.some((e) => kinds[e] === 'flow');
}
