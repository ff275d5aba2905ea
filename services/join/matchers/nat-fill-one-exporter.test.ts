// A device registered by its address sends IPFIX and syslog under one exporter id: its syslog copy
// of a logged UDP delete is still that delete's copy, and does not end the host's live TCP mapping.
import { describe, expect, it } from 'vitest';
import { matchSessions } from './session-match.ts';
import { T, dir, lookup, opts, rec } from './session-record.fixture.ts';

const M = 60_000;
const H = { insideAddr: '100.64.0.1', insidePort: 5060 };
const K = { insideAddr: '100.64.0.2', insidePort: 7000 };
const o = { ...opts, maxSessionAgeMs: 6 * 3_600_000 };
const L = (at: number, protocol: number | null = 6) => lookup({ protocol, windowFrom: at - 1000, windowTo: at + 1000, since: at });
const decided = (hs: { leadsToAddr: string | null; confidence: number }[]) => hs.filter((h) => h.confidence >= 0.9).map((h) => h.leadsToAddr);

describe('the UDP delete logged by IPFIX and by syslog from one exporter id; H\'s TCP mapping lives on; K takes the UDP port', () => {
  const evs = () => [
    rec({ protocol: 6, ...H, eventTime: T - 30 * M }),
    rec({ protocol: 17, ...H, eventTime: T - 20 * M }),
    rec({ protocol: 17, ...H, action: 'STOP', natEvent: 2, eventTime: T }),
    rec({ protocol: null, ...H, action: 'STOP', natEvent: 2, eventTime: T }), // syslog copy, same exporter id
    rec({ protocol: 17, ...K, eventTime: T + M }),
  ];
  it('protocol-unknown lookup at T+2 min: K must not be decided (H\'s TCP mapping is live)', () => {
    const hs = matchSessions(L(T + 2 * M, null), evs(), dir, o);
    expect(decided(hs)).not.toContain(K.insideAddr);
  });
  it('TCP lookup at T+2 min: H', () => {
    const hs = matchSessions(L(T + 2 * M, 6), evs(), dir, o);
    expect(decided(hs)).toEqual([H.insideAddr]);
  });
});
