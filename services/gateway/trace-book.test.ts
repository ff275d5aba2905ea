import { describe, expect, it } from 'vitest';
import type { TraceRequest } from '../../schemas/types.gen.ts';
import { fullUpdate, makeNode } from '../cli/domain/test-fixtures.ts';
import { createTraceBook } from './trace-book.ts';

const open = (traceId: string, cc: string): TraceRequest => ({
  traceId, action: 'OPEN', requestingJurisdiction: cc, legalBasis: 'EMERGENCY', caseReference: 'c', srcAddr: '198.51.100.7', srcPort: 1, dstAddr: '192.0.2.1',
  dstPort: 2, protocol: 6, observedTime: 1, toleranceMs: 0, requestedAt: 1, expiresAt: 100,
});

describe('trace book', () => {
  it('the first OPEN owns a trace (as the tracer decides); trace.state overrides', () => {
    const b = createTraceBook();
    b.noteOpen(open('t', 'GB'));
    b.noteOpen(open('t', 'FR'));
    expect(b.facts('t')).toMatchObject({ owner: 'GB', status: null, expiresAt: 100, template: { srcAddr: '198.51.100.7' } });
    b.noteState(fullUpdate({ traceId: 't', requestingJurisdiction: 'GB', seq: 2, status: 'STALLED', expiresAt: 500 }));
    b.noteState(fullUpdate({ traceId: 't', requestingJurisdiction: 'GB', seq: 1, status: 'OPEN' }));
    expect(b.facts('t')).toMatchObject({ owner: 'GB', status: 'STALLED', expiresAt: 500 });
  });

  it('rebuilds a template from trace.state when the OPEN is gone', () => {
    const b = createTraceBook();
    b.noteState(fullUpdate({ traceId: 't1' }));
    expect(b.facts('t1')?.template).toMatchObject({ traceId: 't1', requestingJurisdiction: 'GB', srcAddr: '198.51.100.7', srcPort: 40001 });
  });

  it('keeps the newest view per jurisdiction and trace, and tells only that jurisdiction\'s listeners', () => {
    const b = createTraceBook();
    const node = makeNode();
    const seen: string[] = [];
    const stopFr = b.listen('FR', (s) => seen.push(`FR ${s.update.audience} ${s.update.seq}`));
    b.listen('GB', (s) => seen.push(`GB ${s.update.audience} ${s.update.seq}`));
    expect(b.noteView('FR', node.publish(fullUpdate({ seq: 2 }), 'FR').signed)).toBe(true);
    expect(b.noteView('FR', node.publish(fullUpdate({ seq: 1 }), 'FR').signed)).toBe(false);
    expect(b.noteView('GB', node.publish(fullUpdate({ seq: 1 }), 'GB').signed)).toBe(true);
    stopFr();
    b.noteView('FR', node.publish(fullUpdate({ seq: 3 }), 'FR').signed);
    expect(seen).toEqual(['FR FR 2', 'GB GB 1']);
    expect(b.view('FR', 't1')?.update.seq).toBe(3);
    expect(b.view('DE', 't1')).toBeUndefined();
  });
});
