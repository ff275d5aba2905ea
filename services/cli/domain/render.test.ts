import { describe, expect, it } from 'vitest';
import { viewFor } from '../../tracer/domain/disclosure.ts';
import { acceptedLine, duration, endpoint, hopLine, renderChain, rejectedLine } from './render.ts';
import { fullUpdate, hop } from '../../partner/test-fixtures.ts';

const NOW = 1_700_000_000_000;

describe('render', () => {
  it('formats endpoints (IPv6 in brackets with a port) and durations', () => {
    expect(endpoint('198.51.100.7', 40001)).toBe('198.51.100.7:40001');
    expect(endpoint('2001:db8::1', 443)).toBe('[2001:db8::1]:443');
    expect(endpoint('2001:db8::1', null)).toBe('2001:db8::1');
    expect([duration(850), duration(12_400), duration(245_000), duration(7_380_000), duration(3 * 86_400_000 + 4 * 3_600_000)]).toEqual(['850ms', '12s', '4m05s', '2h03m', '3d04h']);
  });

  it('shows a subscriber handle only when the view carries one', () => {
    const full = fullUpdate();
    const fr = renderChain({ view: viewFor(full, 'FR'), receivedAt: NOW }, NOW).join('\n');
    const gb = renderChain({ view: viewFor(full, 'GB'), receivedAt: NOW }, NOW).join('\n');
    expect(fr).toContain('subscriber fr-sub-0007');
    expect(gb).not.toContain('subscriber');
    expect(gb).not.toContain('fr-sub-0007');
    expect(acceptedLine('GB', viewFor(full, 'GB'), NOW)).not.toContain('subscriber');
    expect(acceptedLine('FR', viewFor(full, 'FR'), NOW)).toContain('subscriber fr-sub-0007');
  });

  it('renders a hop with depth, method, where, observed -> leads to, confidence, ACTIVE/ended and time since last seen', () => {
    const line = hopLine(hop({ confidence: 0.8312, rank: 2, depth: 3 }), NOW);
    expect(line).toMatch(/^3#2\s+PORT_BLOCK\s+FR\/fr-cgn\s+198\.51\.100\.7:40001 -> 100\.64\.3\.4\s+0\.83\s+ACTIVE\s+seen 2s ago$/);
    expect(hopLine(hop({ active: false, leadsToAddr: null }), NOW)).toMatch(/-> \(end\)\s+1\.00\s+ended/);
    expect(hopLine(hop({ source: 'ARCHIVE' }), NOW)).toMatch(/seen 2s ago \(from the archive\)$/);
    expect(hopLine(hop(), NOW)).not.toContain('archive');
  });

  it('renders the chain header, hops in depth order and awaited lookups', () => {
    const u = fullUpdate({
      status: 'STALLED', hops: [hop({ hopId: 'b', depth: 2, parentHopId: 'a', observedAddr: '100.64.3.4', observedPort: null }), hop({ hopId: 'a' })],
      awaiting: [{ jurisdiction: null, providerId: null, addr: '203.0.113.9', port: 5000, windowFrom: NOW - 10_000, windowTo: NOW, parentHopId: 'b', since: NOW - 4_000 }],
    });
    const lines = renderChain({ view: viewFor(u, 'GB'), receivedAt: NOW }, NOW);
    expect(lines[0]).toMatch(/^trace t1 {2}STALLED {2}seq 1 {2}case GB-NCA-1 {2}basis ART33_REALTIME_TRAFFIC {2}requested by GB {2}expires in 1h00m$/);
    expect(lines.findIndex((l) => l.includes('198.51.100.7'))).toBeLessThan(lines.findIndex((l) => l.includes('100.64.3.4 ->')));
    expect(lines.join('\n')).toContain('awaiting no known provider: 203.0.113.9:5000 in 22:13:10.000–22:13:20.000 UTC (waiting 4s)');
  });

  it('plain lines say VERIFIED or REJECTED with the reason', () => {
    expect(acceptedLine('GB', viewFor(fullUpdate(), 'GB'), NOW)).toMatch(/ GB VERIFIED trace=t1 seq=1 status=EXTENDED case="GB-NCA-1" basis=ART33_REALTIME_TRAFFIC hops=\[1 PORT_BLOCK/);
    expect(rejectedLine('FR', { traceId: 't1', seq: 4, code: 'bad-signature', reason: 'altered', at: NOW })).toMatch(/ FR REJECTED trace=t1 seq=4 code=bad-signature reason="altered"$/);
  });
});
