// The node keys a partner trusts: raw 32-byte Ed25519 public keys, base64, one per line (the
// format the tracer writes to `<keyfile>.pub`). Blank lines and `#` comments are ignored. A
// key is looked up by its id (first 16 hex chars of SHA-256 of the raw key), which is what a
// SignedTraceUpdate names; the signature then decides.
import type { KeyObject } from 'node:crypto';
import { keyIdOf, publicKeyFromRaw } from './signing.ts';

export type TrustedKeys = ReadonlyMap<string, KeyObject>;

/** Parses a trust file's text; throws naming `source` and the line on a malformed key. */
export function parseTrustedKeys(text: string, source: string): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) throw new Error(`${source}:${i + 1}: not base64 (expected a raw Ed25519 public key)`);
    let key: KeyObject;
    try { key = publicKeyFromRaw(t); } catch (e) { throw new Error(`${source}:${i + 1}: ${(e as Error).message}`, { cause: e }); }
    keys.set(keyIdOf(key), key);
  });
  return keys;
}

/** Merges several trust sources; an empty result is an error (nothing could ever verify). */
export function mergeTrustedKeys(sets: { source: string; keys: Map<string, KeyObject> }[]): Map<string, KeyObject> {
  const all = new Map<string, KeyObject>();
  for (const s of sets) for (const [id, k] of s.keys) all.set(id, k);
  if (all.size === 0) throw new Error(`no trusted key in ${sets.map((s) => s.source).join(', ') || '(no file given)'}`);
  return all;
}
