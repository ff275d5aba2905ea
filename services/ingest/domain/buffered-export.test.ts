// Review defect 4 (tracing.review.md), end to end through ingest normalisation and the join.
// Late-arriving logs taken for clock skew. The CGN's IPFIX/NAT-event export (RFC 7011 over TCP
// or SCTP) was cut for 10 min; the device buffered its messages and sent them when the session
// came back. Each message carries its true export time (the device clock is right), so every
// buffered record's sample exportTime - receivedAt is minus its queueing delay. The max filter
// (clock-skew.ts) kept the last 32 samples only: once 32 buffered records have passed, it
// "estimated" the device clock to be minutes slow and shifted each buffered record minutes LATER.
// A port block released by X and allocated to Y during the outage is then still X's at the
// observed time (taken from the victim side's correct clock): X decided, Y true.
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import { createProviderDirectory, loadProvidersFile } from '../../common/provider-directory.ts';
import { createClockSkewEstimator, DEFAULT_CLOCK_SKEW } from './clock-skew.ts';
import { DEFAULT_NORMALISE, normaliseSession, type NormaliseContext } from './normalise.ts';
import { DEFAULT_JOIN_OPTIONS, type IndexedEvent, type Lookup } from '../../join/join-types.ts';
import { matchSessions } from '../../join/matchers/session-match.ts';

const dir = createProviderDirectory(loadProvidersFile(new URL('../../../deploy/providers.json', import.meta.url).pathname));
const R = Date.UTC(2026, 11, 1, 12); // the export session comes back; everything buffered arrives now
const S = 1000;
let n = 0;
const pb = (o: Partial<SessionEvent>): SessionEvent => ({
  eventId: `p${n++}`, exporterId: 'fr-cgn-1', exportTime: o.eventTime!, kind: 'PORT_BLOCK', action: 'START', natEvent: 16, eventTime: 0, protocol: null,
  outsideAddr: '198.19.201.1', outsidePort: null, portRangeStart: 1024, portRangeEnd: 1535, insideAddr: '100.64.201.5', insidePort: null,
  framedIpAddress: null, framedIpv6Prefix: null, delegatedIpv6Prefix: null, acctSessionId: null, acctDelayTime: null, subscriberHandle: null,
  jurisdiction: null, providerId: null, clockOffsetMs: 0, ...o,
});

describe('IPFIX records buffered during an export outage', () => {
  it('are not shifted by their queueing delay: Y holds the block at the observed time', () => {
    const ctx: NormaliseContext = { byExporter: dir.byExporter, byAddress: dir.byAddress, skew: createClockSkewEstimator(DEFAULT_CLOCK_SKEW), opts: DEFAULT_NORMALISE };
    const window: IndexedEvent[] = [];
    const ingest = (ev: SessionEvent, receivedAt: number) => {
      const out = normaliseSession(ev, receivedAt, ctx);
      if (out.keys.some((k) => k.key === '198.19.201.1')) window.push({ kind: 'session', ev: out.event, producedAt: receivedAt });
    };
    // live, before the outage: X's block allocated 2 h ago, and 40 other allocations received 5 ms after export
    ingest(pb({ eventTime: R - 7200 * S, insideAddr: '100.64.201.5' }), R - 7200 * S + 5);
    for (let i = 0; i < 40; i++) ingest(pb({ eventTime: R - 3600 * S + i * S, outsideAddr: '198.19.201.2', insideAddr: `100.64.9.${i}` }), R - 3600 * S + i * S + 5);
    // the outage [R - 600 s, R]: one record per second buffered, all received at R, in order
    for (let t = 600; t > 0; t--) {
      const at = R - t * S;
      if (t === 300) {
        ingest(pb({ eventTime: at, action: 'STOP', natEvent: 17, insideAddr: '100.64.201.5' }), R); // X released
      } else if (t === 299) {
        ingest(pb({ eventTime: at, insideAddr: '100.64.201.6' }), R); // Y allocated the same block
      } else {
        ingest(pb({ eventTime: at, outsideAddr: '198.19.201.2', insideAddr: `100.64.8.${t % 250}` }), R);
      }
    }
    // victim's observation at R - 270 s (its own exporter's clock is right)
    const obs = R - 270 * S;
    const lookup: Lookup = {
      lookupId: 'L', traceId: 't', parentHopId: null, depth: 1, mode: 'session', addr: '198.19.201.1', scopeProviderId: null, port: 1100, protocol: 6,
      peerAddr: '192.0.2.10', peerPort: 443, windowFrom: obs - 2000, windowTo: obs + 2000, since: R,
    };
    const hops = matchSessions(lookup, window, dir, DEFAULT_JOIN_OPTIONS);
    // before the fix: 100.64.201.5 (X) at confidence 1 — X's release was moved ~5 min later, after the observation
    expect(hops.map((h) => [h.leadsToAddr, h.confidence])).toEqual([['100.64.201.6', 1]]);
  });
});
