import { describe, expect, it } from 'vitest';
import { createAuditChain } from '../../partner/domain/audit-chain.ts';
import { sign } from '../../partner/domain/signing.ts';
import { createWatchSession, type WatchSessionOptions } from './watch-session.ts';
import { encodeDisclosure, forged as forgedView, fullUpdate, makeNode } from '../../partner/test-fixtures.ts';

const T = 1_700_000_000_000;
const caught = { updates: true, audit: true };

function session(node: ReturnType<typeof makeNode>, over: Partial<WatchSessionOptions> = {}) {
  return createWatchSession({ audience: 'FR', topic: 'trace.updates.FR', keys: node.keys, encodeDisclosure, auditGraceMs: 1_000, fromBeginning: true, traceIds: [], ...over });
}

describe('watch session', () => {
  it('renders verified chains, keeps the newest seq per trace, and finishes when every watched trace is terminal', () => {
    const node = makeNode();
    const s = session(node);
    const p1 = node.publish(fullUpdate({ seq: 1, status: 'EXTENDED' }), 'FR');
    const p2 = node.publish(fullUpdate({ seq: 2, status: 'TERMINATED_AT_SUBSCRIBER' }), 'FR');
    s.audit(p1.record, T, false);
    s.audit(p2.record, T, false);
    expect(s.update(p2.signed, T, 'o2')).toEqual([expect.stringMatching(/VERIFIED trace=t1 seq=2 status=TERMINATED_AT_SUBSCRIBER/)]);
    expect(s.update(p1.signed, T, 'o1')).toEqual([expect.stringMatching(/FR REJECTED trace=t1 seq=1 code=replayed/)]); // older than what is held: a replay
    expect(s.done()).toBe(false); // bootstrap not over
    s.tick(T, caught);
    expect(s.done()).toBe(true);
    expect(s.screen(T)).toMatch(/trace t1 {2}TERMINATED_AT_SUBSCRIBER {2}seq 2/);
  });

  it('--until-terminal also stops at AMBIGUOUS (the evidence does not decide; a person must look)', () => {
    const node = makeNode();
    const s = session(node);
    const p1 = node.publish(fullUpdate({ seq: 1, status: 'EXTENDED' }), 'FR');
    s.audit(p1.record, T, false);
    s.update(p1.signed, T, 'o1');
    s.tick(T, caught);
    expect(s.done()).toBe(false);
    const p2 = node.publish(fullUpdate({ seq: 2, status: 'AMBIGUOUS' }), 'FR');
    s.audit(p2.record, T, false);
    s.update(p2.signed, T, 'o2');
    s.tick(T, caught);
    expect(s.done()).toBe(true);
  });

  it('shows a forged update as REJECTED and never as chain state', () => {
    const node = makeNode();
    const s = session(node);
    const good = node.publish(fullUpdate({ seq: 1 }), 'FR');
    s.audit(good.record, T, true);
    s.update(good.signed, T, 'o1');
    const next = node.publish(fullUpdate({ seq: 2, status: 'TERMINATED_AT_SUBSCRIBER' }), 'FR');
    s.audit(next.record, T, true);
    const forged = forgedView(next.signed, { caseReference: 'FORGED-REF', hops: next.signed.update.hops.map((h) => ({ ...h, subscriberHandle: 'fr-sub-9999' })) });
    expect(s.update(forged, T, 'o2')).toEqual([expect.stringMatching(/FR REJECTED trace=t1 seq=2 code=bad-signature/)]);
    s.tick(T, caught);
    const screen = s.screen(T);
    expect(screen).toMatch(/trace t1 {2}EXTENDED {2}seq 1/);
    expect(screen).toMatch(/REJECTED updates[\s\S]*trace t1 seq 2: bad-signature/);
    expect(screen).not.toContain('FORGED-REF');
    expect(screen).not.toContain('fr-sub-9999');
    expect(s.done()).toBe(false);
  });

  it('flags a fork of the audit feed, and rejects an update linked to the second branch', () => {
    const node = makeNode();
    const s = session(node);
    const p1 = node.publish(fullUpdate({ seq: 1 }), 'FR');
    const p2 = node.publish(fullUpdate({ seq: 2 }), 'FR');
    // a second publisher continuing the same head with the node's key: a fork
    const { auditSeq: _a, prevHash: _p, hash: _h, signature: _s, ...fields } = p2.record;
    const fork = createAuditChain({ seq: 1, hash: p1.record.hash }).append({ ...fields, updateSeq: 3, disclosedAt: fields.disclosedAt + 1 }, encodeDisclosure, (h) => sign(h, node.privateKey));
    s.audit(p1.record, T, true);
    s.audit(p2.record, T, true);
    expect(s.audit(fork, T, true)).toEqual([expect.stringMatching(/^audit FLAGGED: the audit chain of FR forks after seq 1/)]);
    expect(s.update({ ...p2.signed, auditHash: fork.hash }, T, 'o')).toEqual([expect.stringMatching(/REJECTED trace=t1 seq=2 code=audit-(unverified|mismatch)/)]);
    expect(s.screen(T)).toMatch(/audit FLAGGED/);
  });

  it('rejects an update whose audit record is missing once the audit topic is read and the grace passed', () => {
    const node = makeNode();
    const s = session(node);
    const { signed } = node.publish(fullUpdate(), 'FR'); // its record never reaches audit.disclosures
    expect(s.update(signed, T, 'o1')).toEqual([]);
    expect(s.tick(T + 500, caught)).toEqual([]);
    expect(s.tick(T + 1_500, caught)).toEqual([expect.stringMatching(/REJECTED trace=t1 seq=1 code=audit-missing/)]);
    expect(s.screen(T + 1_500)).toContain('no traces to show yet');
  });

  it('without --from-beginning: history is summarised once per trace still going on; finished traces are not watched', () => {
    const node = makeNode();
    const s = session(node, { fromBeginning: false });
    const old = node.publish(fullUpdate({ traceId: 'old', status: 'CLOSED' }), 'FR');
    const live1 = node.publish(fullUpdate({ traceId: 'live', seq: 1 }), 'FR');
    const live2 = node.publish(fullUpdate({ traceId: 'live', seq: 2 }), 'FR');
    for (const p of [old, live1, live2]) s.audit(p.record, T, false);
    expect([old, live1, live2].flatMap((p) => s.update(p.signed, T, 'x'))).toEqual([]);
    expect(s.tick(T, caught)).toEqual([expect.stringMatching(/trace=live seq=2/)]);
    const live3 = node.publish(fullUpdate({ traceId: 'live', seq: 3, status: 'ENDED' }), 'FR');
    s.audit(live3.record, T, true);
    expect(s.update(live3.signed, T, 'y')).toEqual([expect.stringMatching(/trace=live seq=3 status=ENDED/)]);
    expect(s.done()).toBe(true); // 'old' is CLOSED history, not watched
  });

  it('--trace watches only the traces named', () => {
    const node = makeNode();
    const s = session(node, { fromBeginning: false, traceIds: ['b'] });
    const a = node.publish(fullUpdate({ traceId: 'a', status: 'EXTENDED' }), 'FR');
    const b = node.publish(fullUpdate({ traceId: 'b', status: 'CLOSED' }), 'FR');
    for (const p of [a, b]) { s.audit(p.record, T, true); s.update(p.signed, T, 'x'); }
    s.tick(T, caught);
    expect(s.done()).toBe(true);
    expect(s.screen(T)).not.toContain('trace a ');
  });
});
