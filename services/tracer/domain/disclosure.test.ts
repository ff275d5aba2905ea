import { describe, expect, it } from 'vitest';
import type { TraceUpdate } from '../../../schemas/types.gen.ts';
import { applyHops } from './chain.ts';
import { audiencesOf, viewFor, viewsFor } from './disclosure.ts';
import { ADDR, ALL, H, T, dir, runHops } from './four-jurisdictions.fixture.ts';

const HANDLES = { FR: 'fr-sub-7', DE: 'de-acct-9', US: 'us-sub-1' } as const;
// the final update of the chain: a live refresh of the US hop after it terminated
const { state } = runHops(ALL);
const full = applyHops(state, [{ ...H.us, lastSeen: T + 60_000, evidenceEventIds: ['ev-h-us-sub', 'ev-us-interim'] }], T + 61_000, dir).update!;
const views = viewsFor(full);
const json = (u: TraceUpdate | undefined) => JSON.stringify(u);

describe('audiences', () => {
  it('are the requester and every jurisdiction the chain enters', () => {
    expect([...views.keys()]).toEqual(['DE', 'FR', 'GB', 'US']);
    expect([...views].every(([cc, v]) => v.audience === cc && v.seq === full.seq && v.status === full.status)).toBe(true);
  });

  it('include a jurisdiction the chain only awaits, which sees the lookup and nothing of the path', () => {
    const atVpn = runHops([H.pb, H.fr, H.relay, H.vpn]).updates.at(-1)!;
    expect(audiencesOf(atVpn)).toEqual(['DE', 'FR', 'GB', 'US']);
    const us = viewFor(atVpn, 'US');
    expect(us.hops).toEqual([]);
    expect(us.awaiting).toEqual([expect.objectContaining({ jurisdiction: 'US', addr: ADDR.usClient, port: 61000, parentHopId: null })]);
    expect(json(us)).not.toContain(ADDR.deExit);
    expect(json(us)).not.toContain('h-de-vpn');
  });
});

describe("the requester's view", () => {
  const gb = views.get('GB')!;
  it('shows the whole path: jurisdictions, providers, endpoints, times, methods, confidence, and every awaited lookup', () => {
    expect(gb.hops.map(({ subscriberHandle: _h, ...rest }) => rest)).toEqual(full.hops.map(({ subscriberHandle: _h, ...rest }) => rest));
    expect(gb.awaiting).toEqual(full.awaiting);
    expect(gb.change).toBe(full.change);
  });

  it('carries no subscriber handle of another jurisdiction: the US handle never reaches GB', () => {
    expect(gb.hops.every((h) => h.subscriberHandle === null)).toBe(true);
    for (const handle of Object.values(HANDLES)) expect(json(gb)).not.toContain(handle);
  });

  it('keeps the handle of a hop in its own jurisdiction', () => {
    const u: TraceUpdate = { ...full, requestingJurisdiction: 'FR' };
    const fr = viewFor(u, 'FR');
    expect(fr.hops).toHaveLength(full.hops.length);
    expect(fr.hops.filter((h) => h.subscriberHandle !== null).map((h) => h.subscriberHandle)).toEqual([HANDLES.FR]);
  });
});

describe('the view of a jurisdiction the chain enters', () => {
  it('shows only its own hops: DE never sees the FR inside address, FR evidence or hop ids', () => {
    const de = views.get('DE')!;
    expect(de.hops.map((h) => h.hopId)).toEqual(['h-de-vpn']);
    expect(de.hops[0]!.parentHopId).toBeNull(); // the FR relay hop it hangs off stays FR's
    for (const secret of [ADDR.inside, ADDR.cgn, 'h-fr-pb', 'h-fr-sub', 'h-fr-relay', 'ev-h-fr-pb', 'ev-h-fr-relay', 'h-us-sub', 'ev-h-us-sub']) {
      expect(json(de)).not.toContain(secret);
    }
  });

  it('gives it what it needs to act: case reference, legal basis, observed time, expiry, its own endpoints and times', () => {
    const de = views.get('DE')!;
    expect(de).toMatchObject({ caseReference: 'GB-NCA-42', legalBasis: 'ART33_REALTIME_TRAFFIC', requestingJurisdiction: 'GB', observedTime: T, expiresAt: full.expiresAt });
    expect(de.hops[0]).toMatchObject({ observedAddr: ADDR.deExit, observedPort: 40100, leadsToAddr: ADDR.usClient, windowFrom: T - 2000, method: 'VPN_SESSION' });
    expect(de.change).toBe(`update ${full.seq}: TERMINATED_AT_SUBSCRIBER; 1 hop(s) and 0 awaited lookup(s) in DE`);
  });

  it('FR sees its three hops and nothing of DE or US', () => {
    const fr = views.get('FR')!;
    expect(fr.hops.map((h) => h.hopId)).toEqual(['h-fr-pb', 'h-fr-relay', 'h-fr-sub']);
    expect(fr.hops.map((h) => h.parentHopId)).toEqual([null, 'h-fr-pb', 'h-fr-pb']); // links inside the view stay
    for (const secret of ['h-de-vpn', 'ev-h-de-vpn', ADDR.usClient, HANDLES.DE, HANDLES.US]) expect(json(fr)).not.toContain(secret);
  });
});

describe('subscriber handles', () => {
  it('appear only in the view of the provider’s own jurisdiction', () => {
    for (const [cc, v] of views) {
      for (const h of v.hops) if (h.subscriberHandle !== null) expect(h.jurisdiction).toBe(cc);
      for (const [owner, handle] of Object.entries(HANDLES)) if (owner !== cc) expect(json(v)).not.toContain(handle);
    }
    expect(views.get('US')!.hops.map((h) => h.subscriberHandle)).toEqual([HANDLES.US]);
    expect(views.get('DE')!.hops.map((h) => h.subscriberHandle)).toEqual([HANDLES.DE]);
    expect(views.get('FR')!.hops.find((h) => h.hopId === 'h-fr-sub')!.subscriberHandle).toBe(HANDLES.FR);
  });

  it('stay out of every view over the whole run', () => {
    for (const u of runHops(ALL).updates) {
      const gb = viewFor(u, 'GB');
      for (const handle of Object.values(HANDLES)) expect(json(gb)).not.toContain(handle);
    }
  });
});

it('refuses to minimise a view again', () => {
  expect(() => viewFor(views.get('DE')!, 'GB')).toThrow(/full view/);
});

describe('path confidence in every view', () => {
  it('a jurisdiction the chain enters sees how sure the whole chain is of reaching its hops, and which are on the best path', () => {
    // relay at 0.95 on the path: the US subscriber's own hop is 1.0, the chain is 0.95 sure of it
    const { updates } = runHops([H.pb, H.fr, { ...H.relay, confidence: 0.95 }, H.vpn, H.us]);
    const us = viewFor(updates.at(-1)!, 'US');
    expect(us.hops).toEqual([expect.objectContaining({ hopId: 'h-us-sub', confidence: 1, pathConfidence: 0.95, onBestPath: true })]);
    const fr = viewFor(updates.at(-1)!, 'FR');
    // the owner of the relaying host is beside the path, not on it
    expect(Object.fromEntries(fr.hops.map((h) => [h.hopId, [h.pathConfidence, h.onBestPath]])))
      .toEqual({ 'h-fr-pb': [1, true], 'h-fr-relay': [0.95, true], 'h-fr-sub': [1, false] });
  });
});
