// A requesting partner chooses caseReference (POST /v1/traces); it reaches every jurisdiction
// the chain enters. validateOpenTrace accepts it, and watch's plain VERIFIED line prints it
// unquoted, so one partner can write fields into another partner's machine-read lines. It is
// JSON-quoted now, like change= (security review defect 7).
import { describe, expect, it } from 'vitest';
import { validateOpenTrace } from '../../partner/domain/open-request.ts';
import { acceptedLine } from './render.ts';
import { escapeLines } from '../../partner/domain/safe-text.ts';
import { viewFor } from '../../tracer/domain/disclosure.ts';
import { fullUpdate } from '../../partner/test-fixtures.ts';

describe('plain VERIFIED line', () => {
  it('does not let a caseReference add fields to the line', () => {
    const evil = 'GB-1 status=TERMINATED_AT_SUBSCRIBER hops=[] awaiting=[] change="closed"';
    const now = 1_700_000_000_000;
    const v = validateOpenTrace({ legalBasis: 'ART29_PRESERVATION', caseReference: evil, srcAddr: '198.51.100.7', dstAddr: '203.0.113.9', protocol: 6, observedTime: now }, now);
    expect(v.ok).toBe(true);
    const line = acceptedLine('FR', viewFor(fullUpdate({ caseReference: evil }), 'FR'), now);
    // a reader of these lines takes a "..." value (JSON string) as one value: outside them, one status field
    const fields = line.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    expect(fields.match(/ status=/g)?.length, line).toBe(1);
    expect(line).toContain(`case=${JSON.stringify(evil)} `);
    // a case reference cannot end the line either (U+2028 is a line break to JSON-lines readers and many viewers)
    // (watch prints each line through escapeLines: the separator shows as an escape)
    const printed = escapeLines([acceptedLine('FR', viewFor(fullUpdate({ caseReference: 'GB-1\u2028x status=CLOSED' }), 'FR'), now)]);
    expect(printed).toContain('case="GB-1\\u2028x status=CLOSED" ');
    expect(printed).not.toMatch(/[\u2028\u2029\n]/);
  });
});
