import { describe, expect, it } from 'vitest';
import type { FlowEvent, SessionEvent } from '../../../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile } from '../../common/provider-directory.ts';
import { DEFAULT_CLOCK_SKEW, createClockSkewEstimator } from './clock-skew.ts';
import { DEFAULT_NORMALISE, normaliseFlow, normaliseSession, type NormaliseContext } from './normalise.ts';

const dir = createProviderDirectory(loadProvidersFile(new URL('../../../deploy/providers.json', import.meta.url).pathname));
const NOW = 1_800_000_000_000;
const ctx = (minSamples = 1): NormaliseContext => ({
  byExporter: dir.byExporter, byAddress: dir.byAddress, opts: DEFAULT_NORMALISE,
  skew: createClockSkewEstimator({ ...DEFAULT_CLOCK_SKEW, minSamples }),
});

const flow = (o: Partial<FlowEvent> = {}): FlowEvent => ({
  eventId: 'f1', exporterId: 'fr-flow-1', exportTime: NOW, srcAddr: '100.64.3.4', srcPort: 50123, dstAddr: '192.0.2.10', dstPort: 443,
  protocol: 6, startTime: NOW - 20_000, endTime: NOW - 1000, octets: 1, packets: 1, postNatSrcAddr: null, postNatSrcPort: null,
  endReason: 'ACTIVE_TIMEOUT', jurisdiction: null, providerId: null, clockOffsetMs: 0, ...o,
});
const sess = (o: Partial<SessionEvent> = {}): SessionEvent => ({
  eventId: 's1', exporterId: 'fr-cgn-1', exportTime: NOW, kind: 'PORT_BLOCK', action: 'START', natEvent: 14, eventTime: NOW - 5000,
  protocol: null, outsideAddr: '198.51.100.7', outsidePort: null, portRangeStart: 1024, portRangeEnd: 1535, insideAddr: '100.64.3.4',
  insidePort: null, framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null,
  subscriberHandle: null, jurisdiction: null, providerId: null, clockOffsetMs: 0, ...o,
});
const code = (fn: () => unknown) => { try { fn(); return 'ok'; } catch (e) { return (e as { code?: string }).code; } };

describe('normalise flows', () => {
  it('attaches provider, indexes only addresses the provider serves, with direction', () => {
    const n = normaliseFlow(flow({ dstAddr: '::ffff:100.64.9.9', srcAddr: '203.0.113.7' }), NOW, ctx());
    expect(n.event.dstAddr).toBe('100.64.9.9');
    expect(n.event.jurisdiction).toBe('FR');
    expect(n.keys).toEqual([{ key: 'fr-telecom|100.64.9.9', dir: 'in' }]); // the DE source is DE's to index
    const out = normaliseFlow(flow(), NOW, ctx());
    expect(out.keys).toEqual([{ key: 'fr-telecom|100.64.3.4', dir: 'out' }]);
  });
  it('corrects a skewed exporter clock (2 s fast) by the estimated offset', () => {
    const c = ctx();
    const n = normaliseFlow(flow({ exportTime: NOW + 2000, startTime: NOW - 18_000 }), NOW, c);
    expect(n.event.clockOffsetMs).toBe(2000);
    expect(n.event.startTime).toBe(NOW - 20_000);
  });
  it('rejects bad input with stable codes', () => {
    expect(code(() => normaliseFlow(flow({ srcPort: 70000 }), NOW, ctx()))).toBe('CT_INVALID_PORT');
    expect(code(() => normaliseFlow(flow({ protocol: 300 }), NOW, ctx()))).toBe('CT_INVALID_PROTOCOL');
    expect(code(() => normaliseFlow(flow({ startTime: NOW, endTime: NOW - 1 }), NOW, ctx()))).toBe('CT_IMPOSSIBLE_TIME');
    expect(code(() => normaliseFlow(flow({ endTime: NOW + 3_600_000 }), NOW, ctx()))).toBe('CT_IMPOSSIBLE_TIME');
    expect(code(() => normaliseFlow(flow({ startTime: NOW - 2 * 86_400_000 }), NOW, ctx()))).toBe('CT_TOO_OLD');
    expect(code(() => normaliseFlow(flow({ exporterId: 'zz' }), NOW, ctx()))).toBe('CT_UNKNOWN_EXPORTER');
    expect(code(() => normaliseFlow(flow({ dstAddr: '2001:db8::g' }), NOW, ctx()))).toBe('CT_INVALID_ADDRESS');
    expect(code(() => normaliseFlow(flow({ exportTime: NOW + 5 * 3_600_000 }), NOW, ctx()))).toBe('CT_CLOCK_FLAGGED');
  });
});

describe('session records live for their provider\'s maximum session age, not the flow retention', () => {
  const D = 86_400_000;
  it('keeps a port block allocated 25 h ago and a lost-stop RADIUS session 13 days old; refuses one older than 14 days', () => {
    expect(code(() => normaliseSession(sess({ eventTime: NOW - 25 * 3_600_000, exportTime: NOW }), NOW, ctx()))).toBe('ok');
    expect(code(() => normaliseSession(sess({ eventTime: NOW - 13 * D, exportTime: NOW }), NOW, ctx()))).toBe('ok');
    expect(code(() => normaliseSession(sess({ eventTime: NOW - 15 * D, exportTime: NOW }), NOW, ctx()))).toBe('CT_TOO_OLD');
  });
  it('a NAT record (provider age 2 h) is kept for the flow retention, refused past it; a flow record is bound by the retention', () => {
    const nat = (ago: number) => sess({ kind: 'NAT_SESSION', natEvent: 1, outsidePort: 40000, portRangeStart: null, portRangeEnd: null, insidePort: 5000, eventTime: NOW - ago, exportTime: NOW });
    expect(code(() => normaliseSession(nat(3 * 3_600_000), NOW, ctx()))).toBe('ok');
    expect(code(() => normaliseSession(nat(25 * 3_600_000), NOW, ctx()))).toBe('CT_TOO_OLD');
    expect(code(() => normaliseFlow(flow({ startTime: NOW - 25 * 3_600_000 }), NOW, ctx()))).toBe('CT_TOO_OLD');
  });
});

describe('normalise sessions', () => {
  it('keys a port block by its public address and checks lo <= hi', () => {
    expect(normaliseSession(sess(), NOW, ctx()).keys).toEqual([{ key: '198.51.100.7', dir: null }]);
    expect(code(() => normaliseSession(sess({ portRangeStart: 2000, portRangeEnd: 1999 }), NOW, ctx()))).toBe('CT_INVALID_PORT');
    expect(code(() => normaliseSession(sess({ insideAddr: null }), NOW, ctx()))).toBe('CT_MISSING_FIELD');
  });
  it('subtracts RADIUS Acct-Delay-Time and indexes framed IPv4 and IPv6 prefixes', () => {
    const n = normaliseSession(sess({
      exporterId: 'us-bng-1', kind: 'ACCESS_SESSION', natEvent: null, outsideAddr: null, portRangeStart: null, portRangeEnd: null, insideAddr: null,
      framedIpAddress: '198.18.4.5', framedIpv6Prefix: '2001:db8:1a0:4::/64', delegatedIpv6Prefix: '2001:db8:1a0:400::/56',
      acctSessionId: 'a1', acctDelayTime: 7, subscriberHandle: 'us-sub-1',
    }), NOW, ctx());
    expect(n.event.eventTime).toBe(NOW - 5000 - 7000);
    expect(n.keys.map((k) => k.key).sort()).toEqual(['198.18.4.5', '6:2001:db8:1a0::/48']);
    expect(n.event.jurisdiction).toBe('US');
  });
  it('needs a framed address on access sessions and an outside port on NAT sessions', () => {
    expect(code(() => normaliseSession(sess({ kind: 'ACCESS_SESSION', outsideAddr: null, acctSessionId: 'x' }), NOW, ctx()))).toBe('CT_MISSING_FIELD');
    expect(code(() => normaliseSession(sess({ kind: 'NAT_SESSION' }), NOW, ctx()))).toBe('CT_MISSING_FIELD');
    expect(code(() => normaliseSession(sess({ kind: 'ACCESS_SESSION', acctSessionId: 'x', framedIpv6Prefix: '2001:db8::/20' }), NOW, ctx()))).toBe('CT_INVALID_PREFIX');
  });
});

describe('with a history store, records older than the live windows are accepted for the archive', () => {
  const D = 86_400_000;
  const withHistory = () => ({ ...ctx(), opts: { ...DEFAULT_NORMALISE, historyMs: 180 * D } });
  it('keeps a flow of 10 days ago and a session START of 3 weeks ago; refuses what is older than the history retention', () => {
    expect(code(() => normaliseFlow(flow({ startTime: NOW - 10 * D, endTime: NOW - 10 * D + 5000 }), NOW, ctx()))).toBe('CT_TOO_OLD');
    expect(code(() => normaliseFlow(flow({ startTime: NOW - 10 * D, endTime: NOW - 10 * D + 5000 }), NOW, withHistory()))).toBe('ok');
    expect(code(() => normaliseSession(sess({ eventTime: NOW - 21 * D, exportTime: NOW }), NOW, withHistory()))).toBe('ok');
    expect(code(() => normaliseSession(sess({ eventTime: NOW - 181 * D, exportTime: NOW }), NOW, withHistory()))).toBe('CT_TOO_OLD');
    expect(code(() => normaliseFlow(flow({ startTime: NOW - 181 * D, endTime: NOW - 181 * D + 5000 }), NOW, withHistory()))).toBe('CT_TOO_OLD');
  });
});
