import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertNoPrivateKey, loadTokenFile, reloadingTokenTable } from './token-file.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'ct-tokens-'));

describe('tokens file', () => {
  it('outside a demo, a missing file stops the start with one line saying what to do; nothing is generated', () => {
    const path = join(dir(), 'gateway-tokens');
    let message = '';
    try { loadTokenFile(path, { demo: false, jurisdictions: ['GB'] }); } catch (e) { message = (e as Error).message; }
    expect(message).toMatch(/^no API tokens configured: set CROSSTRACE_GATEWAY_TOKENS, or onboard a partner .*CROSSTRACE_DEMO=1/);
    expect(message).not.toContain('\n');
    expect(existsSync(path)).toBe(false);
  });

  it('a demo creates it (0600), one token per jurisdiction; an existing file is read as it is', () => {
    const path = join(dir(), 'gateway-tokens');
    const made = loadTokenFile(path, { demo: true, jurisdictions: ['GB', 'FR'] });
    expect([made.created, made.entries.map(([cc]) => cc), statSync(path).mode & 0o777]).toEqual([true, ['GB', 'FR'], 0o600]);
    const again = loadTokenFile(path, { demo: false, jurisdictions: ['DE'] });
    expect([again.created, again.entries]).toEqual([false, made.entries]);
    writeFileSync(path, 'GB');
    expect(() => loadTokenFile(path, { demo: false, jurisdictions: [] })).toThrow(/CROSSTRACE_GATEWAY_TOKENS_FILE=.*entry 1/);
  });

  it('refuses a trusted-keys file that holds a private key', () => {
    const d = dir();
    const pub = join(d, 'node.pub');
    writeFileSync(pub, '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n');
    expect(() => assertNoPrivateKey(pub)).not.toThrow();
    expect(() => assertNoPrivateKey(join(d, 'missing.pub'))).not.toThrow();
    const priv = join(d, 'node.pem');
    writeFileSync(priv, `${readFileSync(pub, 'utf8')}-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----\n`);
    expect(() => assertNoPrivateKey(priv)).toThrow(/holds a private key; give the gateway the node's public key file/);
  });

  it('a token removed from the file (admin partner remove) is refused at its next use, without a restart; a broken file keeps the last good tokens; a missing one refuses all', () => {
    const d = dir();
    const path = join(d, 'gateway-tokens');
    const fr = 'fr-token-0123456789abcdef';
    const de = 'de-token-0123456789abcdef';
    writeFileSync(path, `FR:${fr},DE:${de}\n`);
    const problems: string[] = [];
    const table = reloadingTokenTable(path, loadTokenFile(path, { demo: false, jurisdictions: [] }).entries, (p) => problems.push(p));
    expect([table.jurisdictionOf(fr), table.jurisdictionOf(de)]).toEqual(['FR', 'DE']);
    writeFileSync(join(d, 'next'), `DE:${de}\n`); // as partner-tokens.ts writes it: whole, by rename
    renameSync(join(d, 'next'), path);
    expect([table.jurisdictionOf(fr), table.jurisdictionOf(de)]).toEqual([undefined, 'DE']);
    writeFileSync(join(d, 'next'), 'DE');
    renameSync(join(d, 'next'), path);
    expect(table.jurisdictionOf(de)).toBe('DE');
    expect(problems).toEqual([expect.stringMatching(/entry 1.*the tokens read before stay in force/)]);
    rmSync(path);
    expect(table.jurisdictionOf(de)).toBeUndefined();
    expect(table.jurisdictions()).toEqual(['DE', 'FR']);
  });
});
