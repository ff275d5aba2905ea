// The protocol a lookup asks for: the traced connection's up to the first hop that opens a new
// connection (a VPN tunnel, a relay), unknown beyond it. A TCP connection out of a VPN exit
// may ride a WireGuard (UDP) tunnel from a CGN that maps the same port for TCP to another
// subscriber (RFC 4787/5382 port spaces per protocol): asking for TCP there named that
// subscriber at confidence 1 (deploy/scenarios/records/vpn-udp-tunnel.json).
import { describe, expect, it } from 'vitest';
import type { Hop, HopMethod, TraceRequest } from '../../../schemas/types.gen.ts';
import { wantedLookups } from './next-lookups.ts';

const T = 1_800_000_000_000;
const req: TraceRequest = {
  traceId: 'tr-p', action: 'OPEN', requestingJurisdiction: 'GB', legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: 'GB-1',
  srcAddr: '203.0.113.77', srcPort: 20700, dstAddr: '192.0.2.10', dstPort: 443, protocol: 6, observedTime: T, toleranceMs: 2000,
  requestedAt: T, expiresAt: T + 86_400_000,
};
const hop = (hopId: string, parentHopId: string | null, depth: number, method: HopMethod, observedAddr: string, leadsToAddr: string, leadsToPort: number | null): Hop => ({
  traceId: 'tr-p', hopId, parentHopId, depth, jurisdiction: 'DE', providerId: 'de-vpn', method, observedAddr, observedPort: null, leadsToAddr, leadsToPort,
  subscriberHandle: null, evidenceEventIds: [], confidence: 1, rank: 1, firstSeen: T - 60_000, lastSeen: T, active: true,
  windowFrom: T - 2000, windowTo: T + 2000, decisiveAt: T, source: 'LIVE', pathConfidence: null, onBestPath: null,
});
const sessionAt = (ls: ReturnType<typeof wantedLookups>, addr: string) => ls.find((l) => l.mode === 'session' && l.addr === addr)!;

describe('the protocol each lookup asks for', () => {
  it('is the traced one at the observed source and through address translation', () => {
    const ls = wantedLookups(req, [hop('h1', null, 1, 'NAT_LOG', '203.0.113.77', '100.64.0.5', 50000)], 3, T);
    expect(sessionAt(ls, '203.0.113.77').protocol).toBe(6);
    expect(sessionAt(ls, '100.64.0.5').protocol).toBe(6);
  });
  it.each(['VPN_SESSION', 'RELAY_TIMING'] as const)('is unknown beyond a %s hop, and stays unknown through a NAT after it', (method) => {
    const ls = wantedLookups(req, [
      hop('h1', null, 1, method, '203.0.113.77', '198.19.161.1', 41000),
      hop('h2', 'h1', 2, 'NAT_LOG', '198.19.161.1', '100.70.161.5', 51820),
    ], 3, T);
    expect(sessionAt(ls, '203.0.113.77').protocol).toBe(6);
    expect(sessionAt(ls, '198.19.161.1').protocol).toBeNull();
    expect(sessionAt(ls, '100.70.161.5').protocol).toBeNull();
  });
});
