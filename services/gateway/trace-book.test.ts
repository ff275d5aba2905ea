import { describe, expect, it } from 'vitest';
import type { TraceRequest } from '../../schemas/types.gen.ts';
import { fullUpdate, makeNode } from '../partner/test-fixtures.ts';
import { createTraceBook } from './trace-book.ts';

const open = (traceId: string, cc: string): TraceRequest => ({
  traceId, action: 'OPEN', requestingJurisdiction: cc, legalBasis: 'EMERGENCY', caseReference: 'c', srcAddr: '198.51.100.7', srcPort: 1, dstAddr: '192.0.2.1',
  dstPort: 2, protocol: 6, observedTime: 1, toleranceMs: 0, requestedAt: 1, expiresAt: 100,
});

describe('trace book', () => {
  it('the first OPEN owns a trace (as the tracer decides); trace.state overrides', () => {
    const b = createTraceBook();
    b.noteRequest(open('t', 'GB'));
    b.noteRequest(open('t', 'FR'));
    expect(b.facts('t')).toMatchObject({ owner: 'GB', status: null, expiresAt: 100, template: { srcAddr: '198.51.100.7' } });
    b.noteState(fullUpdate({ traceId: 't', requestingJurisdiction: 'GB', seq: 2, status: 'STALLED', expiresAt: 500 }));
    b.noteState(fullUpdate({ traceId: 't', requestingJurisdiction: 'GB', seq: 1, status: 'OPEN' }));
    expect(b.facts('t')).toMatchObject({ owner: 'GB', status: 'STALLED', expiresAt: 500 });
  });

  it('an EXTEND of the owner raises the expiry the gateway judges the next one by; another jurisdiction\'s does not', () => {
    const b = createTraceBook();
    b.noteRequest(open('t', 'GB'));
    b.noteRequest({ ...open('t', 'GB'), action: 'EXTEND', expiresAt: 900 });
    b.noteRequest({ ...open('t', 'FR'), action: 'EXTEND', expiresAt: 5000 });
    b.noteRequest({ ...open('t', 'GB'), action: 'EXTEND', expiresAt: 700 });
    expect(b.facts('t')?.expiresAt).toBe(900);
    b.noteState(fullUpdate({ traceId: 't', requestingJurisdiction: 'GB', seq: 2, expiresAt: 800 })); // the tracer has not caught up
    expect(b.facts('t')?.expiresAt).toBe(900);
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

  it('forgets traces ended longer ago than the keep time, views included, and keeps running ones', () => {
    const b = createTraceBook();
    const node = makeNode();
    const T = 1_700_000_000_000;
    const H = 3_600_000;
    b.noteState(fullUpdate({ traceId: 'closed', status: 'CLOSED', publishedAt: T, expiresAt: T + 10 * H }));
    b.noteView('GB', node.publish(fullUpdate({ traceId: 'closed', status: 'CLOSED', publishedAt: T }), 'GB').signed);
    b.noteState(fullUpdate({ traceId: 'running', status: 'EXTENDED', publishedAt: T, expiresAt: T + 10 * H }));
    b.noteView('GB', node.publish(fullUpdate({ traceId: 'running', publishedAt: T }), 'GB').signed);
    b.noteRequest({ ...open('opened-only', 'FR'), expiresAt: T + H });
    expect(b.prune(T + 2 * H, 3 * H)).toBe(0); // nothing ended 3 h ago yet
    expect(b.prune(T + 3 * H + 1, 3 * H)).toBe(1); // closed at T
    expect(b.facts('closed')).toBeUndefined();
    expect(b.view('GB', 'closed')).toBeUndefined();
    expect(b.prune(T + 4 * H + 1, 3 * H)).toBe(1); // the OPEN without state expired at T + 1 h
    expect(b.prune(T + 13 * H + 1, 3 * H)).toBe(1); // the running one expired at T + 10 h
    expect(b.size()).toEqual({ traces: 0, views: 0 });
  });
});
