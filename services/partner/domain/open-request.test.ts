import { describe, expect, it } from 'vitest';
import { followUpRequest, openRequest, parseInstant, validateOpenTrace } from './open-request.ts';

const NOW = 1_700_000_000_000;
const ok = { legalBasis: 'EMERGENCY', caseReference: ' FR-OCLCTIC-7 ', srcAddr: '::ffff:198.51.100.7', dstAddr: '2001:0db8::0001', protocol: 17, observedTime: NOW - 5000 };
const fields = (body: unknown) => { const v = validateOpenTrace(body, NOW); return v.ok ? [] : v.errors.map((e) => e.field); };

describe('open-trace validation', () => {
  it('canonicalises addresses, trims the case reference, fills defaults (ports unknown, tolerance 2 s, ttl 1 h)', () => {
    const v = validateOpenTrace(ok, NOW);
    expect(v).toEqual({ ok: true, value: { legalBasis: 'EMERGENCY', caseReference: 'FR-OCLCTIC-7', srcAddr: '198.51.100.7', srcPort: null, dstAddr: '2001:db8::1', dstPort: null, protocol: 17, observedTime: NOW - 5000, toleranceMs: 2000, ttlMs: 3_600_000 } });
    if (!v.ok) return;
    const req = openRequest(v.value, 't', 'FR', NOW);
    expect(req).toMatchObject({ traceId: 't', action: 'OPEN', requestingJurisdiction: 'FR', requestedAt: NOW, expiresAt: NOW + 3_600_000 });
    expect(req).not.toHaveProperty('ttlMs');
    expect(followUpRequest(req, 'CLOSE', NOW + 1)).toMatchObject({ action: 'CLOSE', requestedAt: NOW + 1, expiresAt: NOW + 3_600_000, requestingJurisdiction: 'FR' });
  });

  it('names every missing or invalid field', () => {
    expect(fields(null)).toEqual(['(body)']);
    expect(fields({})).toEqual(['legalBasis', 'caseReference', 'srcAddr', 'dstAddr', 'protocol', 'observedTime']);
    expect(fields({ ...ok, srcPort: -1, dstPort: 1.5, protocol: 256, toleranceMs: 600_001, ttlMs: 5 })).toEqual(['srcPort', 'dstPort', 'protocol', 'toleranceMs', 'ttlMs']);
    expect(fields({ ...ok, srcAddr: 'fe80::1%eth0', dstAddr: 42 })).toEqual(['srcAddr', 'dstAddr']);
    expect(fields({ ...ok, caseReference: 'a\u0007b' })).toEqual(['caseReference']);
    expect(fields({ ...ok, requestingJurisdiction: 'GB', traceId: 'x' })).toEqual(['requestingJurisdiction', 'traceId']);
  });

  it('observedTime: ms or ISO 8601 with a zone, not in the future beyond tolerance', () => {
    expect(parseInstant('2023-11-14T22:13:20Z')).toBe(NOW);
    expect(parseInstant('2023-11-14T23:13:20.000+01:00')).toBe(NOW);
    expect(parseInstant(String(NOW))).toBe(NOW);
    expect(parseInstant('2023-11-14T22:13:20')).toMatch(/time zone/);
    expect(parseInstant(-1)).toMatch(/negative/);
    expect(fields({ ...ok, observedTime: NOW + 299_000 })).toEqual([]);
    const v = validateOpenTrace({ ...ok, observedTime: NOW + 3_600_000 }, NOW);
    expect(v.ok ? '' : v.errors[0]!.message).toMatch(/3600 s in the future/);
  });
});
