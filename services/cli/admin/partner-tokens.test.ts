// Onboarding a partner again revokes its earlier gateway tokens (security review finding 9);
// --keep-tokens keeps them for a rotation; other jurisdictions' tokens are never touched.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTokenTable, parseTokens } from '../../gateway/tokens.ts';
import { addPartnerToken, removePartnerTokens } from './partner-tokens.ts';

let dir: string;
let file: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ct-tokens-')); file = join(dir, 'gateway-tokens'); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });
const table = () => createTokenTable(parseTokens(readFileSync(file, 'utf8').trim()));

describe('partner tokens file', () => {
  it('adding a partner again replaces its earlier tokens: the old token no longer authenticates', () => {
    const fr1 = addPartnerToken(file, 'FR');
    const de = addPartnerToken(file, 'DE');
    expect([fr1.replaced, de.replaced]).toEqual([0, 0]);
    const fr2 = addPartnerToken(file, 'FR');
    expect([fr2.replaced, fr2.kept]).toEqual([1, 0]);
    expect(fr2.token).not.toBe(fr1.token);
    const t = table();
    expect(t.jurisdictionOf(fr1.token)).toBeUndefined();
    expect(t.jurisdictionOf(fr2.token)).toBe('FR');
    expect(t.jurisdictionOf(de.token)).toBe('DE');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('--keep-tokens keeps the earlier ones (rotation); remove drops every token of the jurisdiction', () => {
    const fr1 = addPartnerToken(file, 'FR');
    const fr2 = addPartnerToken(file, 'FR', { keep: true });
    expect([fr2.replaced, fr2.kept]).toEqual([0, 1]);
    expect([table().jurisdictionOf(fr1.token), table().jurisdictionOf(fr2.token)]).toEqual(['FR', 'FR']);
    expect(removePartnerTokens(file, 'FR')).toBe(2);
    expect(readFileSync(file, 'utf8').trim()).toBe('');
  });
});
