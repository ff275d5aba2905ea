// Runs the Python partner's ledger unit test (clients/python/test_verify_feed.py) with the
// Debian python3 the integration test uses; skipped where it or its packages are missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { disclosureType } from './test-fixtures.ts';

const PY = '/usr/bin/python3';
const usable = existsSync(PY) && spawnSync(PY, ['-c', 'import avro, confluent_kafka, cryptography']).status === 0;

describe.skipIf(!usable)('Python partner ledger (clients/python/verify_feed.py)', () => {
  it('refuses a retired key\'s record and a back-dated one', () => {
    const file = fileURLToPath(new URL('../../clients/python/test_verify_feed.py', import.meta.url));
    const out = execFileSync(PY, ['-B', file], { env: { ...process.env, DISCLOSURE_SCHEMA: JSON.stringify(disclosureType.schema()) }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
  });
});
