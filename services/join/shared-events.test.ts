// The correlator decodes a window's events once per batch and gives the same event objects to
// every waiter met there (services/correlator/pipeline.ts). That is only sound while resolving a
// lookup never changes the events it is given: here every event is deeply frozen (a write
// throws in a module's strict mode), many lookups resolve over the same objects one after the
// other, and each must resolve exactly as over a private copy.
import { describe, expect, it } from 'vitest';
import { relayScenario } from '../simulator/relay-fixtures.ts';
import { DEFAULT_JOIN_SETTINGS, resolveLookup } from './join.ts';
import type { IndexedEvent, Lookup } from './join-types.ts';
import { T, acct, block, dir, lookup, rec } from './matchers/session-record.fixture.ts';

function deepFreeze<X>(x: X): X {
  if (x && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}
const settings = { ...DEFAULT_JOIN_SETTINGS, maxSessionAgeMs: 3_600_000 };

/** Resolves each lookup over the shared (frozen) events, in turn, and over its own copy. */
function both(lookups: Lookup[], events: IndexedEvent[]) {
  const copies = lookups.map(() => structuredClone(events));
  deepFreeze(events);
  const shared = lookups.map((l) => resolveLookup(l, [...events], dir, settings));
  const own = lookups.map((l, i) => resolveLookup(l, copies[i]!, dir, settings));
  return { shared, own };
}

describe('resolving many lookups over shared event objects', () => {
  it('session lookups (NAT logs, port blocks, access sessions, starts and stops) neither change the events nor each other', () => {
    const events: IndexedEvent[] = [];
    for (let i = 0; i < 240; i++) {
      const t = T + 15_000 * (i % 40);
      const action = i % 5 === 4 ? 'STOP' : 'START';
      if (i % 3 === 0) events.push(block(40_000 + 256 * (i % 4), 40_255 + 256 * (i % 4), `100.64.0.${i % 9}`, { eventTime: t, action, natEvent: action === 'STOP' ? 17 : 16 }));
      else if (i % 3 === 1) events.push(rec({ eventTime: t, action, natEvent: action === 'STOP' ? 5 : 4, outsidePort: 40_001 + (i % 3), insidePort: 5_000 + i, insideAddr: `100.64.1.${i % 7}` }));
      else events.push(acct({ eventTime: t, action, framedIpAddress: '198.51.100.7', acctSessionId: `s${i % 6}`, subscriberHandle: `h${i % 6}` }));
    }
    const lookups = Array.from({ length: 40 }, (_, j) => lookup({ lookupId: `L${j}`, traceId: `t${j}`, port: j % 5 === 0 ? null : 40_001 + (j % 4) * 100,
      windowFrom: T + 10_000 * j, windowTo: T + 10_000 * j + 4_000 }));
    const { shared, own } = both(lookups, events);
    expect(shared).toEqual(own);
    expect(shared.flat().length).toBeGreaterThan(10);
  });

  it('relay lookups (timing scores over a relay\'s flows) neither change the events nor each other', () => {
    const sc = relayScenario({ seed: 7, concurrent: 60 });
    const lookups = Array.from({ length: 12 }, (_, j) => ({ ...sc.lookup, lookupId: `R${j}`, windowFrom: sc.lookup.windowFrom + 5_000 * (j - 6), windowTo: sc.lookup.windowTo + 5_000 * (j - 6) }));
    const { shared, own } = both(lookups, sc.events);
    expect(shared).toEqual(own);
    expect(shared.flat().length).toBeGreaterThan(0);
  });
});
