// Reads the RADIUS settings file: {"nas": {"<NAS address>": "<shared secret>"}, "pseudonymKey": "..."}.
// Secrets live in a file of their own, never in the provider registry (which is published on a topic).
import { readFileSync } from 'node:fs';
import { CrosstraceError } from '../common/errors.ts';
import { canonicalAddress } from '../common/address.ts';
import type { RadiusSettings } from './pipeline.ts';

export function loadRadiusFile(path: string): RadiusSettings {
  const fail = (msg: string) => new CrosstraceError('CT_CONFIG', `CROSSTRACE_COLLECTOR_RADIUS_FILE ${path}: ${msg}`);
  let data: { nas?: Record<string, unknown>; pseudonymKey?: unknown };
  try { data = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw fail(`cannot be read as JSON: ${(e as Error).message}`); }
  if (!data || typeof data.nas !== 'object' || data.nas === null) throw fail('needs "nas": {"<address>": "<shared secret>"}');
  if (typeof data.pseudonymKey !== 'string' || data.pseudonymKey.length < 32) throw fail('needs "pseudonymKey", a string of 32 or more characters');
  const secrets = new Map<string, Buffer>();
  for (const [addr, secret] of Object.entries(data.nas)) {
    let a: string;
    try { a = canonicalAddress(addr); } catch { throw fail(`NAS ${JSON.stringify(addr)} is not an address`); }
    if (typeof secret !== 'string' || secret.length < 8) throw fail(`NAS ${addr}: the shared secret must be a string of 8 or more characters`);
    secrets.set(a, Buffer.from(secret, 'utf8'));
  }
  return { secrets, pseudonymKey: Buffer.from(data.pseudonymKey, 'utf8') };
}
