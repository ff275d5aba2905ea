// RFC 2869 Event-Timestamp is not a clock sample (services/collector/domain/radius-accounting.ts
// stamps exportTime with the receipt). Taken as one (a session-20 change, reverted after review),
// a request whose Event-Timestamp + Acct-Delay-Time lies after its receipt (a NAS that stamps the
// send time AND reports the delay, or a garbage delay) read as "this NAS's clock runs fast": the
// max filter used it at once for every record of that exporter for 10 min (and > 1 h flagged the
// exporter: every record dead-lettered); and behind a RADIUS proxy (exporterId = the packet's
// source) one NAS's clock moved every other NAS's records.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRadiusCollector } from '../collector/domain/radius-collector.ts';
import { accountingRequest, type RadiusAttribute } from '../collector/domain/radius-packet.ts';
import { createProviderDirectory, loadProvidersFile } from '../common/provider-directory.ts';
import { createClockSkewEstimator, DEFAULT_CLOCK_SKEW } from '../ingest/domain/clock-skew.ts';
import { DEFAULT_NORMALISE, normaliseSession, type NormaliseContext } from '../ingest/domain/normalise.ts';
import { DEFAULT_JOIN_SETTINGS, resolveLookup } from '../join/join.ts';
import type { IndexedEvent, Lookup } from '../join/join-types.ts';

const dir = createProviderDirectory(loadProvidersFile(new URL('../../deploy/providers.json', import.meta.url).pathname));
const SECRET = Buffer.from('nas-secret');
const OBS = Date.UTC(2026, 11, 1, 12, 0, 0);
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
const str = (s: string) => Buffer.from(s);
const ip = (a: string) => Buffer.from(a.split('.').map(Number));
const handle = (acct: string) => `sub-${createHmac('sha256', 'k').update(`us-access|${acct}`).digest('hex').slice(0, 12)}`;

function rig() {
  const c = createRadiusCollector({
    secretFor: (a) => (a === '127.0.0.1' ? SECRET : undefined),
    resolve: (a) => (a === '127.0.0.1' ? { exporterId: '127.0.0.1', providerId: 'us-access' } : undefined),
    pseudonym: (p, acct) => `sub-${createHmac('sha256', 'k').update(`${p}|${acct}`).digest('hex').slice(0, 12)}`,
  });
  const ctx: NormaliseContext = { byExporter: dir.byExporter, byAddress: dir.byAddress, skew: createClockSkewEstimator(DEFAULT_CLOCK_SKEW), opts: DEFAULT_NORMALISE };
  const events: IndexedEvent[] = [];
  const dead: string[] = [];
  let id = 0;
  /** received at `at` (true time, the NAS's clock is right); stamp: Event-Timestamp (s) or undefined */
  const send = (at: number, status: number, user: string, sid: string, addr: string, stamp: number | undefined, delay = 0) => {
    const attrs: RadiusAttribute[] = [
      { type: 1, value: str(user) }, { type: 40, value: u32(status) }, { type: 44, value: str(sid) }, { type: 41, value: u32(delay) }, { type: 8, value: ip(addr) },
      ...(stamp === undefined ? [] : [{ type: 55, value: u32(stamp) }]),
    ];
    const out = c.handle({ from: '127.0.0.1', port: 40000, bytes: accountingRequest(id++ & 255, attrs, SECRET), receivedAt: at });
    if (out.kind !== 'record') throw new Error(out.kind);
    for (const ev of [...out.closes, out.event]) {
      try {
        const n = normaliseSession(ev, at, ctx);
        events.push({ kind: 'session', ev: n.event, producedAt: at });
      } catch (e) { dead.push(`${user} ${status} @${(at - OBS) / 1000}s: ${(e as Error).message.slice(0, 90)}`); }
    }
  };
  const lookup = (addr: string) => {
    const l: Lookup = { lookupId: 'L', traceId: 't', parentHopId: null, depth: 1, mode: 'session', addr, scopeProviderId: null, port: 40000,
      protocol: 6, peerAddr: '192.0.2.10', peerPort: 443, windowFrom: OBS - 2000, windowTo: OBS + 2000, since: OBS };
    return resolveLookup(l, events.filter((e) => e.kind === 'session' && e.ev.framedIpAddress === addr), dir, DEFAULT_JOIN_SETTINGS);
  };
  return { send, lookup, dead, events };
}
const s = (t: number) => Math.floor(t / 1000);

describe('RADIUS Event-Timestamp and Acct-Delay-Time against ingest\'s clock estimate', () => {
  it('one request stamped with its send time beside a 300 s delay does not move the NAS\'s next records 5 min early (that decided the next holder)', () => {
    const r = rig();
    for (let t = OBS - 3_600_000; t < OBS + 600_000; t += 30_000) r.send(t, 3, `other${t % 7}`, `o-${t % 7}`, `198.18.97.${10 + (t / 30_000) % 7}`, s(t));
    r.send(OBS - 7_200_000, 1, 'x@isp', 'zr-x', '198.18.97.1', s(OBS - 7_200_000));
    // truth: X held 198.18.97.1 at OBS; X left at OBS+120 s, Y got it at OBS+150 s
    // at OBS+60 s an Interim that waited 300 s, stamped with the time it was (re)sent
    r.send(OBS + 60_000, 3, 'late@isp', 'zr-late', '198.18.97.30', s(OBS + 60_000), 300);
    r.send(OBS + 120_000, 2, 'x@isp', 'zr-x', '198.18.97.1', s(OBS + 120_000));
    r.send(OBS + 150_000, 1, 'y@isp', 'zr-y', '198.18.97.1', s(OBS + 150_000));
    const hops = r.lookup('198.18.97.1');
    expect(hops.filter((h) => h.confidence >= 0.9).map((h) => h.subscriberHandle)).not.toContain(handle('y@isp'));
  });
  it('one request with a garbage Acct-Delay-Time (10 days, over the 1-day ceiling) is refused alone', () => {
    const r = rig();
    for (let t = OBS - 3_600_000; t < OBS; t += 30_000) r.send(t, 3, `other${t % 7}`, `o-${t % 7}`, `198.18.97.${10 + (t / 30_000) % 7}`, s(t));
    r.send(OBS, 3, 'junk@isp', 'zr-j', '198.18.97.40', s(OBS), 864_000);
    for (let t = OBS + 30_000; t < OBS + 600_000; t += 30_000) r.send(t, 3, `other${t % 7}`, `o-${t % 7}`, `198.18.97.${10 + (t / 30_000) % 7}`, s(t));
    expect(r.dead).toHaveLength(1);
    expect(r.dead[0]).toMatch(/^junk@isp .*acctDelayTime 864000 s/);
  });
  it('behind a RADIUS proxy (one exporterId), a NAS 2 h slow with Event-Timestamp does not dead-letter another NAS\'s records that carry none', () => {
    const r = rig();
    for (let t = OBS - 3_600_000; t < OBS + 600_000; t += 30_000) {
      r.send(t, 3, `slow${t % 5}`, `s-${t % 5}`, `198.18.97.${50 + (t / 30_000) % 5}`, s(t - 7_200_000));
      r.send(t + 1000, 3, `good${t % 5}`, `g-${t % 5}`, `198.18.97.${60 + (t / 30_000) % 5}`, undefined);
    }
    const good = r.dead.filter((d) => d.startsWith('good'));
    expect(good).toEqual([]);
  });
  it('behind a RADIUS proxy, a NAS 3 min fast with Event-Timestamp does not move another NAS\'s records (no Event-Timestamp, on the collector\'s clock)', () => {
    const r = rig();
    for (let t = OBS - 3_600_000; t < OBS + 600_000; t += 30_000) {
      r.send(t, 3, `fast${t % 5}`, `f-${t % 5}`, `198.18.97.${70 + (t / 30_000) % 5}`, s(t + 180_000));
      r.send(t + 1000, 3, `good${t % 5}`, `g-${t % 5}`, `198.18.97.${80 + (t / 30_000) % 5}`, undefined);
    }
    const offs = [...new Set(r.events.filter((e) => e.kind === 'session' && e.ev.subscriberHandle?.startsWith('sub-') && (e.ev.framedIpAddress ?? '').startsWith('198.18.97.8')).map((e) => (e.kind === 'session' ? e.ev.clockOffsetMs : 0)))];
    expect(offs).toEqual([0]);
  });
});
