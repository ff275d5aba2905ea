// The manifest of an evidence export: every file of the export with its SHA-256 and size, the
// trace it is about, and the node key that signs it. The signature is Ed25519 over the exact
// bytes of manifest.json (so no canonicalisation is needed to verify: hash the files, compare,
// check the signature over the file as written). Pure.
import { createHash, type KeyObject } from 'node:crypto';
import { escapeControls } from '../../partner/domain/safe-text.ts';
import { keyIdOf, sign, verify } from '../../partner/domain/signing.ts';

export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'manifest.sig';

export interface ManifestEntry { path: string; sha256: string; bytes: number }
export interface Manifest { format: 'crosstrace-evidence/1'; traceId: string; createdAt: string; signerKeyId: string; files: ManifestEntry[] }

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The manifest bytes and their signature, for files given as path -> contents. */
export function signManifest(o: { traceId: string; createdAt: number; files: ReadonlyMap<string, Buffer>; privateKey: KeyObject; publicKey: KeyObject }): { manifest: Buffer; signature: Buffer } {
  const m: Manifest = {
    format: 'crosstrace-evidence/1', traceId: o.traceId, createdAt: new Date(o.createdAt).toISOString(), signerKeyId: keyIdOf(o.publicKey),
    files: [...o.files].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, b]) => ({ path, sha256: sha256(b), bytes: b.length })),
  };
  const manifest = Buffer.from(`${JSON.stringify(m, null, 2)}\n`);
  return { manifest, signature: sign(manifest, o.privateKey) };
}

/** Problems found checking an export (empty = it verifies): the signature by a trusted key,
 *  then every listed file's hash and size, and no file left out of the manifest. Each problem is
 *  one line, control characters escaped. */
export function verifyManifest(o: { manifest: Buffer; signature: Buffer; files: ReadonlyMap<string, Buffer>; trusted: ReadonlyMap<string, KeyObject> }): string[] {
  let m: Manifest;
  try { m = JSON.parse(o.manifest.toString('utf8')) as Manifest; } catch { return [`${MANIFEST} is not JSON`]; }
  if (m.format !== 'crosstrace-evidence/1' || !Array.isArray(m.files)) return [`${MANIFEST} is not a crosstrace evidence manifest`];
  const key = o.trusted.get(m.signerKeyId);
  const problems: string[] = [];
  if (!key) problems.push(`signer key ${m.signerKeyId} is not trusted`);
  else if (!verify(o.manifest, o.signature, key)) problems.push(`${SIGNATURE} does not verify ${MANIFEST} with key ${m.signerKeyId}`);
  const listed = new Set<string>();
  for (const f of m.files) {
    listed.add(f.path);
    const b = o.files.get(f.path);
    if (!b) problems.push(`${f.path}: listed but missing`);
    else if (b.length !== f.bytes || sha256(b) !== f.sha256) problems.push(`${f.path}: SHA-256 differs from the manifest`);
  }
  for (const path of o.files.keys()) if (!listed.has(path)) problems.push(`${path}: not in the manifest`);
  // key ids and paths come from the export being checked (a tampered one included): escaped, so
  // a crafted one cannot print a line of its own ("... files verify against the signed manifest")
  return problems.map(escapeControls);
}
