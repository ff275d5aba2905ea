import { describe, expect, it } from 'vitest';
import { collectorConfig } from './config.ts';

describe('collector config', () => {
  it('defaults to every listener on the standard ports and its ops port', () => {
    const c = collectorConfig.parse({ CROSSTRACE_COLLECTOR_RADIUS_FILE: 'r.json' });
    expect([c.CROSSTRACE_COLLECTOR_IPFIX_PORT, c.CROSSTRACE_COLLECTOR_NETFLOW9_PORT, c.CROSSTRACE_COLLECTOR_RADIUS_PORT, c.CROSSTRACE_COLLECTOR_HTTP_PORT]).toEqual([4739, 2055, 1813, 9107]);
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('refuses RADIUS without a secrets file, unknown listeners and unknown keys, naming the key', () => {
    expect(() => collectorConfig.parse({})).toThrow(/CROSSTRACE_COLLECTOR_RADIUS_FILE/);
    expect(() => collectorConfig.parse({ CROSSTRACE_COLLECTOR_LISTENERS: 'ipfix-udp,sflow' })).toThrow(/CROSSTRACE_COLLECTOR_LISTENERS.*sflow/);
    expect(() => collectorConfig.parse({ CROSSTRACE_COLLECTOR_LISTENERS: 'ipfix-udp', CROSSTRACE_COLLECTOR_IPFX_PORT: '1' })).toThrow(/CROSSTRACE_COLLECTOR_IPFX_PORT/);
    expect(collectorConfig.parse({ CROSSTRACE_COLLECTOR_LISTENERS: 'ipfix-udp,netflow9-udp' }).CROSSTRACE_COLLECTOR_LISTENERS).toEqual(['ipfix-udp', 'netflow9-udp']);
  });
});
