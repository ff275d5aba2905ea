import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialsFile } from './credentials-files.ts';

describe('credentialsFile', () => {
  it('puts each principal in a folder of its own with --principal-dirs (0700), beside the others without', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-creds-'));
    try {
      expect(credentialsFile(dir, 'gateway', false)).toBe(join(dir, 'gateway.properties'));
      expect(credentialsFile(dir, 'gateway', true)).toBe(join(dir, 'gateway', 'client.properties'));
      expect(credentialsFile(dir, 'exporter-fr-cgn-1', true)).toBe(join(dir, 'exporter-fr-cgn-1', 'client.properties'));
      expect(statSync(join(dir, 'gateway')).mode & 0o777).toBe(0o700);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('refuses a name that would leave its folder', () => {
    for (const bad of ['../tracer', 'a/b', '', '.hidden']) expect(() => credentialsFile('/nonexistent', bad, true)).toThrow(/cannot name a credentials file/);
  });
});
