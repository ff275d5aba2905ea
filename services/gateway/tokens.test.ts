import { describe, expect, it } from 'vitest';
import { isLoopback } from '../partner/gateway-client.ts';
import { gatewayConfig } from './config.ts';
import { bearerToken, createTokenTable, generateTokens, parseTokens } from './tokens.ts';

describe('tokens', () => {
  it('maps each token to its jurisdiction; several tokens per jurisdiction are allowed', () => {
    const t = createTokenTable(parseTokens('GB:gb-0123456789abcdef, FR:fr-0123456789abcdef,GB:gb-rotated-456789abcdef'));
    expect(t.jurisdictionOf('gb-0123456789abcdef')).toBe('GB');
    expect(t.jurisdictionOf('gb-rotated-456789abcdef')).toBe('GB');
    expect(t.jurisdictionOf('fr-0123456789abcdef')).toBe('FR');
    expect(t.jurisdictionOf('fr-0123456789abcdeF')).toBeUndefined();
    expect(t.jurisdictionOf('')).toBeUndefined();
    expect(t.jurisdictions()).toEqual(['FR', 'GB']);
  });

  it('rejects bad entries without echoing a token', () => {
    expect(() => parseTokens('gb:gb-0123456789abcdef')).toThrow(/entry 1 must start with an ISO 3166-1 alpha-2 code/);
    expect(() => parseTokens('GB:short')).toThrow(/token of GB \(entry 1\) must be at least 16/);
    expect(() => parseTokens('GB:same-0123456789abcdef,FR:same-0123456789abcdef')).toThrow(/also given for another entry/);
    expect(() => parseTokens(' , ')).toThrow(/at least one/);
    try { parseTokens('GB:short'); } catch (e) { expect((e as Error).message).not.toContain('short'); }
  });

  it('reads Authorization: Bearer', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('generated token files parse back', () => {
    expect(parseTokens(generateTokens(['GB', 'FR'])).map(([cc]) => cc)).toEqual(['GB', 'FR']);
  });

  it('config: CROSSTRACE_GATEWAY_TOKENS is parsed at start-up, problems named by key; ops port 9104, API port 9443', () => {
    const tls = { CROSSTRACE_GATEWAY_TLS_CERT_FILE: 'c.pem', CROSSTRACE_GATEWAY_TLS_KEY_FILE: 'k.pem' };
    const cfg = gatewayConfig.parse({ ...tls, CROSSTRACE_GATEWAY_TOKENS: 'GB:gb-0123456789abcdef' });
    expect([cfg.CROSSTRACE_GATEWAY_HTTP_PORT, cfg.CROSSTRACE_GATEWAY_API_PORT]).toEqual([9104, 9443]);
    expect(cfg.CROSSTRACE_GATEWAY_TOKENS).toEqual([['GB', 'gb-0123456789abcdef']]);
    expect(gatewayConfig.parse(tls).CROSSTRACE_GATEWAY_TOKENS).toBeNull();
    expect(() => gatewayConfig.parse({ ...tls, CROSSTRACE_GATEWAY_TOKENS: 'GB' })).toThrow(/CROSSTRACE_GATEWAY_TOKENS=.*entry 1/);
    expect(() => gatewayConfig.parse({ ...tls, CROSSTRACE_GATEWAY_TOKEN: 'x' })).toThrow(/CROSSTRACE_GATEWAY_TOKEN is not a setting/);
  });

  it('config: TLS by default; plain HTTP only when asked for, and only on loopback', () => {
    expect(() => gatewayConfig.parse({})).toThrow(/the API needs TLS: set CROSSTRACE_GATEWAY_TLS_CERT_FILE/);
    expect(() => gatewayConfig.parse({ CROSSTRACE_GATEWAY_TLS_CERT_FILE: 'c.pem' })).toThrow(/go together/);
    expect(() => gatewayConfig.parse({ CROSSTRACE_GATEWAY_PLAIN_HTTP: 'true' })).toThrow(/loopback CROSSTRACE_GATEWAY_HOST only \(got 0\.0\.0\.0\)/);
    expect(gatewayConfig.parse({ CROSSTRACE_GATEWAY_PLAIN_HTTP: 'true', CROSSTRACE_GATEWAY_HOST: '127.0.0.1' }).CROSSTRACE_GATEWAY_PLAIN_HTTP).toBe(true);
    expect(isLoopback('::1') && isLoopback('127.10.0.1') && !isLoopback('10.0.0.1') && !isLoopback('127.0.0.1.example')).toBe(true);
  });
});
