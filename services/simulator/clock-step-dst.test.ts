// A CGN syslog sender writing local time without a zone (RFC 3164 timestamps carry none; many
// CGNs log "Oct 25 01:03:07" in the box's local zone), read as UTC. The box is set to
// Europe/London (GMT/BST; Lisbon and Dublin alike): in summer its times are 1 h ahead of UTC
// (under the 1 h flag threshold, corrected by ingest's estimator as syslog-local-time shows),
// and at the fall-back on 2026-10-25 01:00 UTC (02:00 BST -> 01:00 GMT) they become UTC. The
// CGN logs other subscribers' blocks all the time (a record every 20 s here), in real time.
// Before: the estimator's max filter kept the +1 h summer offset for its 10-minute window (and,
// after a collector outage across the change, for an hour: every real-time sample read as
// backlog), moving a release and the next allocation an hour early, and the next holder was
// decided for the earlier holder's connection.
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile } from '../common/provider-directory.ts';
import { createClockSkewEstimator, DEFAULT_CLOCK_SKEW } from '../ingest/domain/clock-skew.ts';
import { DEFAULT_NORMALISE, normaliseSession, type NormaliseContext } from '../ingest/domain/normalise.ts';
import { DEFAULT_JOIN_SETTINGS, resolveLookup } from '../join/join.ts';
import type { IndexedEvent, Lookup } from '../join/join-types.ts';

const dir = createProviderDirectory(loadProvidersFile(new URL('../../deploy/providers.json', import.meta.url).pathname));
const FALLBACK = Date.UTC(2026, 9, 25, 1, 0, 0);
const SPRING = Date.UTC(2026, 2, 29, 1, 0, 0);
const TRANSIT = 300;
const london = (utc: number) => (utc >= SPRING && utc < FALLBACK ? utc + 3_600_000 : utc); // wall clock read as UTC

interface Mine { utc: number; action: SessionEvent['action']; inside: string }

/** The CGN's lines from `from` to `to` (UTC), one every 20 s plus `mine` on 198.19.248.x, none
 *  received inside `outage`; each normalised as ingest does. */
function feed(outside: string, mine: Mine[], from: number, to: number, outage?: [number, number]) {
  const ctx: NormaliseContext = { byExporter: dir.byExporter, byAddress: dir.byAddress, skew: createClockSkewEstimator(DEFAULT_CLOCK_SKEW), opts: DEFAULT_NORMALISE };
  const accepted: IndexedEvent[] = [];
  const refused: { utc: number; code: string }[] = [];
  const moved: number[] = [];
  let n = 0;
  const log = (utc: number, action: SessionEvent['action'], out: string, inside: string) => {
    const ev: SessionEvent = {
      eventId: `dst-${n++}`, exporterId: 'fr-cgn-syslog-1', exportTime: london(utc), kind: 'PORT_BLOCK', action, natEvent: action === 'STOP' ? 17 : 16,
      eventTime: london(utc), protocol: null, outsideAddr: out, outsidePort: null, portRangeStart: 1024, portRangeEnd: 1535, insideAddr: inside, insidePort: null,
      framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null, subscriberHandle: null,
      jurisdiction: null, providerId: null, clockOffsetMs: 0,
    };
    try {
      const r = normaliseSession(ev, utc + TRANSIT, ctx);
      accepted.push({ kind: 'session', ev: r.event, producedAt: utc + TRANSIT });
      moved.push(Math.abs(r.event.eventTime - utc));
    } catch (e) { refused.push({ utc, code: (e as { code: string }).code }); }
  };
  for (let t = from, k = 0; t < to; t += 20_000, k++) {
    if (outage && t >= outage[0] && t < outage[1]) continue;
    for (const m of mine) if (m.utc >= t && m.utc < t + 20_000) log(m.utc, m.action, outside, m.inside);
    log(t, 'START', `198.19.249.${1 + (k % 200)}`, `100.64.249.${1 + (k % 200)}`);
  }
  const decided = (obs: number) => {
    const l: Lookup = { lookupId: 'L', traceId: 't', parentHopId: null, depth: 1, mode: 'session', addr: outside, scopeProviderId: null, port: 1100,
      protocol: 6, peerAddr: '192.0.2.10', peerPort: 443, windowFrom: obs - 2000, windowTo: obs + 2000, since: obs };
    return resolveLookup(l, accepted.filter((e) => e.kind === 'session' && e.ev.outsideAddr === outside), dir, DEFAULT_JOIN_SETTINGS)
      .filter((h) => h.confidence >= 0.9).map((h) => h.leadsToAddr);
  };
  return { refused, moved, decided };
}

describe('local-time syslog across the DST fall-back (a clock stepped back)', () => {
  it('moves no record an hour early: the first lines after the step are refused (CT_CLOCK_STEP), then the window restarts', () => {
    // X got the block at 00:00 UTC and released it at 01:03; Y got it at 01:04; the connection was at 00:30: X's
    const f = feed('198.19.248.1', [
      { utc: FALLBACK - 3_600_000, action: 'START', inside: '100.64.248.5' },
      { utc: FALLBACK + 180_000, action: 'STOP', inside: '100.64.248.5' },
      { utc: FALLBACK + 240_000, action: 'START', inside: '100.64.248.6' },
    ], FALLBACK - 2 * 3_600_000, FALLBACK + 3_600_000);
    expect(Math.max(...f.moved)).toBeLessThan(2000);
    expect(f.refused.map((r) => r.code)).toEqual(['CT_CLOCK_STEP', 'CT_CLOCK_STEP', 'CT_CLOCK_STEP']);
    expect(f.refused.every((r) => r.utc >= FALLBACK && r.utc < FALLBACK + 60_000)).toBe(true);
    expect(f.decided(FALLBACK - 1_800_000)).toEqual(['100.64.248.5']);
  });

  it('after a collector outage across the fall-back, reads the lines after it as a step, not as backlog', () => {
    // the collector is away from 00:50 to 01:20 UTC (the syslog lines of that time are lost: UDP);
    // X released the block at 01:25, Y got it at 01:26; the connection was at 00:40: X's
    const f = feed('198.19.248.2', [
      { utc: FALLBACK - 3_600_000, action: 'START', inside: '100.64.248.15' },
      { utc: FALLBACK + 25 * 60_000, action: 'STOP', inside: '100.64.248.15' },
      { utc: FALLBACK + 26 * 60_000, action: 'START', inside: '100.64.248.16' },
    ], FALLBACK - 2 * 3_600_000, FALLBACK + 2 * 3_600_000, [FALLBACK - 10 * 60_000, FALLBACK + 20 * 60_000]);
    expect(Math.max(...f.moved)).toBeLessThan(2000);
    expect(f.refused.length).toBeLessThanOrEqual(3);
    expect(f.decided(FALLBACK - 20 * 60_000)).toEqual(['100.64.248.15']);
  });

  it('spring-forward (GMT -> BST): the new offset is taken at once, nothing refused', () => {
    const f = feed('198.19.248.3', [], SPRING - 3_600_000, SPRING + 3_600_000);
    expect(f.refused).toEqual([]);
    expect(Math.max(...f.moved)).toBeLessThan(2000);
  });
});
