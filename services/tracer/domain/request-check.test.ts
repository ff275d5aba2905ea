import { describe, expect, it } from 'vitest';
import type { TraceRequest } from '../../../schemas/types.gen.ts';
import { checkTraceRequest } from './request-check.ts';

const ok: TraceRequest = {
  traceId: 't-1', action: 'OPEN', requestingJurisdiction: 'GB', legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: 'GB-1',
  srcAddr: '198.51.100.7', srcPort: 40001, dstAddr: '2001:db8::10', dstPort: 443, protocol: 6,
  observedTime: 1_700_000_000_000, toleranceMs: 2000, requestedAt: 1_700_000_060_000, expiresAt: 1_700_003_600_000,
};

describe('checkTraceRequest', () => {
  it('accepts a usable request', () => { expect(checkTraceRequest(ok)).toBe(ok); });
  it.each([
    [{ srcAddr: '300.1.2.3' }, 'CT_INVALID_ADDRESS'],
    [{ dstAddr: 'not an address' }, 'CT_INVALID_ADDRESS'],
    [{ srcPort: 70000 }, 'CT_INVALID_PORT'],
    [{ dstPort: -1 }, 'CT_INVALID_PORT'],
    [{ protocol: 300 }, 'CT_INVALID_PROTOCOL'],
    [{ toleranceMs: -5 }, 'CT_IMPOSSIBLE_TIME'],
    [{ expiresAt: 1 }, 'CT_IMPOSSIBLE_TIME'],
    [{ traceId: '' }, 'CT_MISSING_FIELD'],
    [{ requestingJurisdiction: 'gbr' }, 'CT_MISSING_FIELD'],
  ] as [Partial<TraceRequest>, string][])('rejects %j with %s', (over, code) => {
    expect(() => checkTraceRequest({ ...ok, ...over })).toThrow(expect.objectContaining({ code, retriable: false }));
  });
  it('a null port is allowed (unknown)', () => { expect(checkTraceRequest({ ...ok, srcPort: null }).srcPort).toBeNull(); });
});
