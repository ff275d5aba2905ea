import { describe, expect, it } from 'vitest';
import type { TraceRequest } from '../../schemas/types.gen.ts';
import { requestLogFields } from './request-log.ts';

describe('the log line of a queued trace request (security review 8)', () => {
  it('names the trace, action and jurisdiction, never the case reference', () => {
    const req = {
      traceId: 't-1', action: 'OPEN', requestingJurisdiction: 'GB', legalBasis: 'EMERGENCY', caseReference: 'NCA/2026/secret-operation-71', srcAddr: '198.51.100.7', srcPort: 1,
      dstAddr: '192.0.2.1', dstPort: 2, protocol: 6, observedTime: 1, toleranceMs: 0, requestedAt: 1, expiresAt: 100,
    } satisfies TraceRequest;
    const fields = requestLogFields(req);
    expect(fields).toEqual({ traceId: 't-1', action: 'OPEN', jurisdiction: 'GB' });
    expect(JSON.stringify(fields)).not.toContain('secret-operation');
  });
});
