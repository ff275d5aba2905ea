import { describe, expect, it } from 'vitest';
import { preservationWindows } from './preservation-windows.ts';

const hop = { observedAddr: '198.51.100.7', providerId: 'gb-isp', windowFrom: 10_000_000, windowTo: 10_004_000, firstSeen: 10_001_000, lastSeen: 10_002_000 };

describe('preservationWindows', () => {
  it('pins the unscoped and the provider-scoped key, widened by the margin', () => {
    expect(preservationWindows([hop], 1000)).toEqual([
      { windowKey: '198.51.100.7', from: 9_999_000, to: 10_005_000, scope: '', cidr: '198.51.100.7/32' },
      { windowKey: 'gb-isp|198.51.100.7', from: 9_999_000, to: 10_005_000, scope: 'gb-isp', cidr: '198.51.100.7/32' },
    ]);
  });
  it('covers evidence outside the lookup window (a session START weeks back)', () => {
    const [w] = preservationWindows([{ ...hop, firstSeen: 1_000 }], 0);
    expect(w).toMatchObject({ windowKey: '198.51.100.7', from: 1_000, to: 10_004_000 });
  });
  it('uses the /48 bucket for IPv6, skips what is no address, and pins a window once', () => {
    const v6 = { ...hop, observedAddr: '2001:db8:1:2::5' };
    const out = preservationWindows([v6, v6, { ...hop, observedAddr: 'not-an-address' }], 0);
    expect(out.map((w) => w.windowKey)).toEqual(['6:2001:db8:1::/48', 'gb-isp|6:2001:db8:1::/48']);
    expect(out[1]).toMatchObject({ scope: 'gb-isp', cidr: '2001:db8:1::/48' });
  });
});
