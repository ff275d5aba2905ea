import { describe, expect, it } from 'vitest';
import { commonSpec, defineConfig, int, list } from './config.ts';

const def = defineConfig('CROSSTRACE_X_', {
  ...commonSpec,
  CROSSTRACE_X_PORT: int('HTTP port.', 9000, 1, 65535),
  CROSSTRACE_X_TOPICS: list('Topics.'),
}, (c) => (c.CROSSTRACE_X_PORT === 9999 ? ['CROSSTRACE_X_PORT 9999 is reserved'] : []));

describe('config', () => {
  it('parses, applies defaults and freezes', () => {
    const c = def.parse({ CROSSTRACE_X_TOPICS: 'a, b' });
    expect(c.CROSSTRACE_X_PORT).toBe(9000);
    expect(c.CROSSTRACE_X_TOPICS).toEqual(['a', 'b']);
    expect(c.KAFKA_BROKERS).toEqual(['127.0.0.1:19092']);
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('names every bad key, required key and unknown key at once', () => {
    let msg = '';
    try { def.parse({ CROSSTRACE_X_PORT: '70000', CROSSTRACE_X_PROT: '1', REDIS_URL: 'http://x' }); } catch (e) { msg = (e as Error).message; }
    expect(msg).toContain('CROSSTRACE_X_PORT="70000": must be between 1 and 65535');
    expect(msg).toContain('REDIS_URL="http://x": must use redis: or rediss:');
    expect(msg).toContain('CROSSTRACE_X_TOPICS is required');
    expect(msg).toContain('CROSSTRACE_X_PROT is not a setting of this service');
  });
  it('runs multi-field validation', () => {
    expect(() => def.parse({ CROSSTRACE_X_TOPICS: 'a', CROSSTRACE_X_PORT: '9999' })).toThrow(/reserved/);
  });
});
