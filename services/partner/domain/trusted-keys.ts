// The node keys a partner trusts, with the period each key signs for. A trust file is text:
// for each key, optional attribute lines, then its public key as a PEM "PUBLIC KEY" block
// (SubjectPublicKeyInfo, so any library loads it; RFC 7468 lets readers skip the lines
// outside the block):
//   key-id: 1a2b3c4d5e6f7a8b                      (optional; checked when present)
//   valid-from: 2026-12-01T16:00:00.000Z          (optional; absent = since ever)
//   valid-until: 2026-12-01T17:00:00.000Z         (optional; absent = still signing)
//   -----BEGIN PUBLIC KEY-----
//   MCowBQYDK2VwAyEA...
//   -----END PUBLIC KEY-----
// Blank lines and `#` comments are ignored; a bare base64 line is a raw 32-byte key (the
// format of earlier versions). A rotation (`crosstrace admin key rotate`) ends the old key's
// period and adds the new key, so updates signed before it still verify. A key is looked up by
// its id (first 16 hex chars of SHA-256 of the raw key), which is what updates name.
import type { KeyObject } from 'node:crypto';
import { keyIdOf, pemOfPublicKey, publicKeyFromPem, publicKeyFromRaw } from './signing.ts';

export interface TrustedKey {
  key: KeyObject;
  keyId: string;
  /** ms since epoch; null = no lower bound. */
  validFrom: number | null;
  /** ms since epoch, exclusive; null = still valid (the node's current key). */
  validUntil: number | null;
}
export type TrustedKeys = ReadonlyMap<string, TrustedKey>;

/** Whether `k` signs for instant `t` (ms). */
export const validAt = (k: TrustedKey, t: number): boolean => (k.validFrom === null || t >= k.validFrom) && (k.validUntil === null || t < k.validUntil);

const iso = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString());
export const periodOf = (k: TrustedKey): string => `${iso(k.validFrom)} .. ${k.validUntil === null ? 'now' : iso(k.validUntil)}`;

/** Parses a trust file's text; throws naming `source` and the line on anything malformed. */
export function parseTrustedKeys(text: string, source: string): Map<string, TrustedKey> {
  const keys = new Map<string, TrustedKey>();
  let attrs: { keyId?: string; validFrom: number | null; validUntil: number | null } = { validFrom: null, validUntil: null };
  let pem: string[] | null = null;
  let pemStart = 0;
  const fail = (line: number, why: string): never => { throw new Error(`${source}:${line}: ${why}`); };
  const add = (line: number, make: () => KeyObject): void => {
    let key: KeyObject;
    try { key = make(); } catch (e) { throw new Error(`${source}:${line}: ${(e as Error).message}`, { cause: e }); }
    const keyId = keyIdOf(key);
    if (attrs.keyId !== undefined && attrs.keyId !== keyId) fail(line, `key-id ${attrs.keyId} does not match the key below it (its id is ${keyId})`);
    if (attrs.validFrom !== null && attrs.validUntil !== null && attrs.validUntil < attrs.validFrom) fail(line, 'valid-until lies before valid-from');
    keys.set(keyId, { key, keyId, validFrom: attrs.validFrom, validUntil: attrs.validUntil });
    attrs = { validFrom: null, validUntil: null };
  };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (pem) {
      pem.push(t);
      if (t === '-----END PUBLIC KEY-----') { const block = pem.join('\n'); pem = null; add(pemStart, () => publicKeyFromPem(block)); }
      return;
    }
    if (t === '' || t.startsWith('#')) return;
    if (t === '-----BEGIN PUBLIC KEY-----') { pem = [t]; pemStart = line; return; }
    const attr = /^(key-id|valid-from|valid-until):\s*(.*)$/.exec(t);
    if (attr) {
      const [, name, value] = attr as unknown as [string, string, string];
      if (name === 'key-id') { if (!/^[0-9a-f]{16}$/.test(value)) fail(line, 'key-id must be 16 lowercase hex characters'); attrs.keyId = value; return; }
      const ms = value === '-' ? null : Date.parse(value);
      if (ms !== null && (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(value))) fail(line, `${name} must be an ISO 8601 date-time, e.g. 2026-12-01T16:00:00.000Z`);
      attrs[name === 'valid-from' ? 'validFrom' : 'validUntil'] = ms;
      return;
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) fail(line, 'expected a PEM PUBLIC KEY block, key-id/valid-from/valid-until, or a raw base64 Ed25519 key');
    add(line, () => publicKeyFromRaw(t));
  });
  if (pem) fail(pemStart, 'PEM block has no END line');
  return keys;
}

/** The text of a trust file holding `keys` (oldest first), in the format parseTrustedKeys reads. */
export function formatTrustFile(keys: Iterable<TrustedKey>): string {
  const blocks = [...keys].sort((a, b) => (a.validFrom ?? -Infinity) - (b.validFrom ?? -Infinity)).map((k) => [
    `key-id: ${k.keyId}`,
    ...(k.validFrom === null ? [] : [`valid-from: ${iso(k.validFrom)}`]),
    ...(k.validUntil === null ? [] : [`valid-until: ${iso(k.validUntil)}`]),
    pemOfPublicKey(k.key).trimEnd(),
  ].join('\n'));
  return `# crosstrace node signing keys: Ed25519 public keys (PEM, SubjectPublicKeyInfo), each with the period it signs for.\n${blocks.join('\n\n')}\n`;
}

/** Merges several trust sources; an empty result is an error (nothing could ever verify). */
export function mergeTrustedKeys(sets: { source: string; keys: Map<string, TrustedKey> }[]): Map<string, TrustedKey> {
  const all = new Map<string, TrustedKey>();
  for (const s of sets) for (const [id, k] of s.keys) all.set(id, k);
  if (all.size === 0) throw new Error(`no trusted key in ${sets.map((s) => s.source).join(', ') || '(no file given)'}`);
  return all;
}
