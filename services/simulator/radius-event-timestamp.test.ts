// A NAS without NTP that sends RFC 2869 Event-Timestamp (55). Its clock runs 45 s
// fast; records reach the collector in real time (Acct-Delay-Time 0). The collector stamped
// exportTime = receipt time, so ingest's clock-skew estimator saw no offset at all, although
// every record's Event-Timestamp lies 45 s after its own receipt (impossible for a correct
// clock: Event-Timestamp + Acct-Delay-Time <= receipt); it now stamps the NAS's send time. Subscriber X's Stop for 198.18.243.1
// truly came 20 s before the observation and Y's Start for the same address 10 s before (a
// small pool hands the address on at once); with the NAS's times X still held it.
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
const SKEW = 45_000;
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
const str = (s: string) => Buffer.from(s);
const ip = (a: string) => Buffer.from(a.split('.').map(Number));

describe('RADIUS Event-Timestamp from a NAS whose clock is off', () => {
  it('does not name the subscriber whose Stop truly came before the observation', () => {
    const c = createRadiusCollector({
      secretFor: (a) => (a === '127.0.0.1' ? SECRET : undefined),
      resolve: (a) => (a === '127.0.0.1' ? { exporterId: '127.0.0.1', providerId: 'us-access' } : undefined),
      pseudonym: (p, acct) => `sub-${createHmac('sha256', 'k').update(`${p}|${acct}`).digest('hex').slice(0, 12)}`,
    });
    const ctx: NormaliseContext = { byExporter: dir.byExporter, byAddress: dir.byAddress, skew: createClockSkewEstimator(DEFAULT_CLOCK_SKEW), opts: DEFAULT_NORMALISE };
    const events: IndexedEvent[] = [];
    let id = 0;
    // (true time, status, user, session id, framed address)
    const send = (at: number, status: number, user: string, sid: string, addr: string) => {
      const attrs: RadiusAttribute[] = [
        { type: 1, value: str(user) }, { type: 40, value: u32(status) }, { type: 44, value: str(sid) }, { type: 41, value: u32(0) },
        { type: 8, value: ip(addr) }, { type: 55, value: u32(Math.floor((at + SKEW) / 1000)) },
      ];
      const out = c.handle({ from: '127.0.0.1', port: 40000, bytes: accountingRequest(id++ & 255, attrs, SECRET), receivedAt: at });
      if (out.kind !== 'record') throw new Error(out.kind);
      for (const ev of [...out.closes, out.event]) {
        const n = normaliseSession(ev, at, ctx);
        events.push({ kind: 'session', ev: n.event, producedAt: at });
      }
    };
    // the NAS's steady traffic: other subscribers' interims, every 30 s for an hour (plenty of samples)
    for (let t = OBS - 3_600_000; t < OBS + 600_000; t += 30_000) send(t, 3, `other${t % 7}`, `o-${t % 7}`, `198.18.244.${1 + (t / 30_000) % 7}`);
    send(OBS - 7_200_000, 1, 'x@isp', 'rtb-x', '198.18.243.1');
    send(OBS - 900_000, 3, 'x@isp', 'rtb-x', '198.18.243.1');
    send(OBS - 20_000, 2, 'x@isp', 'rtb-x', '198.18.243.1');
    send(OBS - 10_000, 1, 'y@isp', 'rtb-y', '198.18.243.1');
    send(OBS + 300_000, 3, 'y@isp', 'rtb-y', '198.18.243.1');
    const l: Lookup = { lookupId: 'L', traceId: 't', parentHopId: null, depth: 1, mode: 'session', addr: '198.18.243.1', scopeProviderId: null, port: 40000,
      protocol: 6, peerAddr: '192.0.2.10', peerPort: 443, windowFrom: OBS - 2000, windowTo: OBS + 2000, since: OBS };
    const mine = events.filter((e) => e.kind === 'session' && e.ev.framedIpAddress === '198.18.243.1');
    const offsets = [...new Set(mine.map((e) => (e.kind === 'session' ? e.ev.clockOffsetMs : 0)))];
    const hops = resolveLookup(l, mine, dir, DEFAULT_JOIN_SETTINGS);
    const decided = hops.filter((h) => h.confidence >= 0.9).map((h) => h.subscriberHandle);
    // ground truth: Y held the address (or at least X must not be decided)
    const xHandle = `sub-${createHmac('sha256', 'k').update('us-access|x@isp').digest('hex').slice(0, 12)}`;
    console.log('offsets applied', offsets, 'hops', hops.map((h) => `${h.subscriberHandle === xHandle ? 'X' : 'Y'} ${h.confidence}`));
    expect(decided).not.toContain(xHandle);
  });
});
