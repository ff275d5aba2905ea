import { describe, expect, it } from 'vitest';
import { archiveConfig } from './config.ts';

describe('archive config: consumer fetch sizes (issue 14, peak RSS)', () => {
  it('fetches 4 MiB per fetch, 512 KiB per partition unless told otherwise', () => {
    const c = archiveConfig.parse({});
    expect([c.CROSSTRACE_ARCHIVE_FETCH_BYTES, c.CROSSTRACE_ARCHIVE_FETCH_BYTES_PER_PARTITION]).toEqual([4_194_304, 524_288]);
    expect(archiveConfig.parse({ CROSSTRACE_ARCHIVE_FETCH_BYTES: '2097152', CROSSTRACE_ARCHIVE_FETCH_BYTES_PER_PARTITION: '262144' }).CROSSTRACE_ARCHIVE_FETCH_BYTES).toBe(2_097_152);
  });
  it('refuses a fetch size out of bounds by its key name', () => {
    expect(() => archiveConfig.parse({ CROSSTRACE_ARCHIVE_FETCH_BYTES: '1024' })).toThrow(/CROSSTRACE_ARCHIVE_FETCH_BYTES="1024": must be between 65536 and 104857600/);
    expect(() => archiveConfig.parse({ CROSSTRACE_ARCHIVE_FETCH_BYTES_PER_PARTITION: '0' })).toThrow(/CROSSTRACE_ARCHIVE_FETCH_BYTES_PER_PARTITION="0"/);
  });
});
