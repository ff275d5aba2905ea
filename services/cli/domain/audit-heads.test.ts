import { describe, expect, it } from 'vitest';
import { auditAudiences, auditHeadLines } from './audit-heads.ts';

describe('rebuild: the audit chains, one per audience', () => {
  it('finds each audience by its own audit topic, not the combined one', () => {
    expect(auditAudiences(['audit.disclosures', 'audit.disclosures.GB', 'trace.updates.FR', 'audit.disclosures.FR', 'flows.norm'])).toEqual(['FR', 'GB']);
  });

  it('prints each chain\'s head', () => {
    const lines = auditHeadLines([
      { cc: 'FR', head: { seq: 7, hash: Buffer.alloc(32, 0xab) } },
      { cc: 'GB', head: undefined },
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^rebuild: audit chain FR continues after seq 7 \(head abababababababab…, read from audit\.disclosures\.FR/);
    expect(lines[1]).toBe('rebuild: audit chain GB is empty (audit.disclosures.GB)');
    expect(auditHeadLines([])).toEqual(['rebuild: no audit chain yet (no audit.disclosures.<CC> topic)']);
  });
});
