// A device registered by its address sends IPFIX and syslog under one exporter id: its syslog copy
// of a logged UDP delete is still that delete's copy, and does not end the host's live TCP mapping.
import { describe, expect, it } from 'vitest';
import { matchSessions } from './session-match.ts';
import { T, decidedAddrs as decided, dir, HOST_H as H, HOST_K as K, natLookup as L, natOpts as o, rec } from './session-record.fixture.ts';

const M = 60_000;

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
