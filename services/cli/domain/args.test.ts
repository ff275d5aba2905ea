import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyIdOf, rawOfPublicKey } from '../../partner/domain/signing.ts';
import { parseEndpointArg } from './endpoint-arg.ts';
import { mergeTrustedKeys, parseTrustedKeys } from '../../partner/domain/trusted-keys.ts';

describe('endpoint arguments', () => {
  it('splits IPv4 and bracketed IPv6 with ports; a bare address has no port', () => {
    expect(parseEndpointArg('198.51.100.7:40001')).toEqual({ addr: '198.51.100.7', port: 40001 });
    expect(parseEndpointArg('[2001:db8::1]:443')).toEqual({ addr: '2001:db8::1', port: 443 });
    expect(parseEndpointArg('2001:db8::1')).toEqual({ addr: '2001:db8::1', port: null });
    expect(parseEndpointArg('198.51.100.7')).toEqual({ addr: '198.51.100.7', port: null });
    expect(parseEndpointArg('198.51.100.7:70000')).toMatch(/not 0-65535/);
  });
});

describe('trusted keys', () => {
  it('reads raw base64 keys one per line, skipping comments, keyed by key id', () => {
    const k = generateKeyPairSync('ed25519').publicKey;
    const keys = parseTrustedKeys(`# node A\n\n${rawOfPublicKey(k).toString('base64')}\n`, 'a.pub');
    expect([...keys.keys()]).toEqual([keyIdOf(k)]);
  });
  it('names the file and line of a bad key, and refuses an empty trust set', () => {
    expect(() => parseTrustedKeys('# x\nnot a key!\n', 'a.pub')).toThrow(/a\.pub:2: expected a PEM PUBLIC KEY block/);
    expect(() => parseTrustedKeys('AAAA\n', 'a.pub')).toThrow(/a\.pub:1: an Ed25519 public key is 32 bytes, got 3/);
    expect(() => mergeTrustedKeys([{ source: 'a.pub', keys: new Map() }])).toThrow(/no trusted key in a\.pub/);
  });
});
