// Session records and lookups for the session matcher tests (session-match, session-join):
// a NAT log at fr-cgn-1 by default, with times relative to T and event ids counting up per
// test module; the demo provider registry (deploy/providers.json).
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile } from '../../common/provider-directory.ts';
import { DEFAULT_JOIN_OPTIONS, type IndexedEvent, type Lookup } from '../join-types.ts';

export const dir = createProviderDirectory(loadProvidersFile(new URL('../../../deploy/providers.json', import.meta.url).pathname));
export const T = 1_800_000_000_000;
export const opts = { ...DEFAULT_JOIN_OPTIONS, maxSessionAgeMs: 3_600_000 };
let n = 0;
export const rec = (o: Partial<SessionEvent>): IndexedEvent => ({
  kind: 'session', producedAt: T + 100 + n, ev: {
    eventId: `e${n++}`, exporterId: 'fr-cgn-1', exportTime: T, kind: 'NAT_SESSION', action: 'START', natEvent: 1, eventTime: T, protocol: 6,
    outsideAddr: '198.51.100.7', outsidePort: 40001, portRangeStart: null, portRangeEnd: null, insideAddr: '100.64.0.1', insidePort: 5555,
    framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null, subscriberHandle: null,
    jurisdiction: 'FR', providerId: 'fr-telecom', clockOffsetMs: 0, ...o,
  },
});
export const lookup = (o: Partial<Lookup> = {}): Lookup => ({
  lookupId: 'L1', traceId: 'tr1', parentHopId: null, depth: 1, mode: 'session', addr: '198.51.100.7', scopeProviderId: null, port: 40001, protocol: 6,
  peerAddr: '192.0.2.10', peerPort: 443, windowFrom: T + 60_000, windowTo: T + 62_000, since: T + 61_000, ...o,
});
export const leads = (hops: { leadsToAddr: string | null }[]) => hops.map((h) => h.leadsToAddr);
export const acct = (o: Partial<SessionEvent>) => rec({ exporterId: 'us-bng-1', kind: 'ACCESS_SESSION', natEvent: null, outsideAddr: null, outsidePort: null,
  insideAddr: null, insidePort: null, protocol: null, jurisdiction: 'US', providerId: 'us-access', ...o });
export const block = (lo: number, hi: number, inside: string, o: Partial<SessionEvent> = {}) =>
  rec({ kind: 'PORT_BLOCK', natEvent: 16, outsidePort: null, portRangeStart: lo, portRangeEnd: hi, insideAddr: inside, insidePort: null, protocol: null, ...o });
export const vpnRec = (o: Partial<SessionEvent>) => rec({ exporterId: 'de-vpn-gw-1', kind: 'VPN_SESSION', natEvent: null, outsideAddr: '203.0.113.7',
  jurisdiction: 'DE', providerId: 'de-vpn', ...o });
/** Two inside hosts behind one outside port (NAT_LOG protocol cases), a 6 h maximum age, a
 *  lookup of the port at `at` (±1 s) for `protocol`, and the addresses a result decides (>= 0.9). */
export const HOST_H = { insideAddr: '100.64.0.1', insidePort: 5060 };
export const HOST_K = { insideAddr: '100.64.0.2', insidePort: 7000 };
export const natOpts = { ...opts, maxSessionAgeMs: 6 * 3_600_000 };
export const natLookup = (at: number, protocol: number | null = 6) => lookup({ protocol, windowFrom: at - 1000, windowTo: at + 1000, since: at });
export const decidedAddrs = (hs: { leadsToAddr: string | null; confidence: number }[]) => hs.filter((h) => h.confidence >= 0.9).map((h) => h.leadsToAddr);
