// Decoys planted around a traced chain: records that look like the answer but are not, which
// the join must rule out by time (port reuse, an older allocation whose release was lost,
// the previous holder of an address, of a VPN exit port, other clients on the same exit).
// Pure; every decoy is described in the ground truth with its event ids.
import type { Rng } from './relay-traffic.ts';
import type { Block } from './block-pool.ts';
import type { Decoy } from './ground-truth.ts';
import type { RawOut } from './raw-events.ts';
import { accessSession, blockSession, vpnSession, type VpnMapping } from './session-records.ts';
import { newHandle, type AccessWorld, type VpnWorld, type World } from './world.ts';

const MIN = 60_000;

export interface Planted { decoy: Decoy; records: RawOut[] }

function planted(kind: string, description: string, records: RawOut[]): Planted {
  return { decoy: { kind, description, eventIds: records.map((x) => x.value.eventId) }, records };
}

/** A former subscriber held the same block until shortly before the subscriber got it; with
 *  `lost`, its release was never logged (an open, older, overlapping allocation). */
export function previousBlockHolder(w: World, a: AccessWorld, r: Rng, id: () => string, b: Block, blockStart: number, lost: boolean): Planted {
  const inside = a.framedPool.take(0);
  a.framedPool.release(inside);
  const handle = newHandle(r, 'sub', new Set());
  const start = Math.round(blockStart - r.uniform(40, 100) * MIN);
  const stop = Math.round(blockStart - r.uniform(2, 20) * MIN);
  const timing = { notBefore: w.t0 };
  const records = [
    ...blockSession(a.nat!, r, id, b, inside, { start, stop, until: Infinity, lostStop: lost, timing }),
    ...accessSession(a, r, id, { handle, acctSessionId: w.ids(`${a.provider.providerId}-acct`), framed: inside, v6: null },
      { start: start - Math.round(r.uniform(1, 30) * MIN), stop: stop + Math.round(r.uniform(0, 60_000)), until: Infinity, lostStop: lost, timing }, w.scenario.background.acctInterimIntervalMs),
  ];
  return planted('previous-block-holder', `${b.outsideAddr} ports ${b.lo}-${b.hi} were allocated to ${inside} (${handle}) until ${new Date(stop).toISOString()}${lost ? ', release never logged' : ''}`, records);
}

/** Another subscriber held the same framed address in an earlier access session (its Stop lost with `lost`). */
export function previousAddressHolder(w: World, a: AccessWorld, r: Rng, id: () => string, framed: string, before: number, lost: boolean): Planted {
  const handle = newHandle(r, 'sub', new Set());
  const start = Math.round(before - r.uniform(60, 180) * MIN);
  const stop = Math.round(before - r.uniform(1, 30) * MIN);
  const records = accessSession(a, r, id, { handle, acctSessionId: w.ids(`${a.provider.providerId}-acct`), framed, v6: null },
    { start, stop, until: Infinity, lostStop: lost, timing: { notBefore: w.t0 } }, w.scenario.background.acctInterimIntervalMs);
  return planted('previous-address-holder', `${framed} was framed to ${handle} until ${new Date(stop).toISOString()}${lost ? ' (stop lost; superseded by the next session)' : ''}`, records);
}

/** Another VPN client was mapped to the same exit address and port minutes earlier (its Stop lost with `lost`). */
export function previousExitPortHolder(w: World, v: VpnWorld, r: Rng, id: () => string, exit: string, exitPort: number, before: number, lost: boolean): Planted {
  const c = v.clients[r.int(0, v.clients.length - 1)]!;
  const m: VpnMapping = { exit, exitPort, client: c.sub.framed, clientPort: r.int(32_768, 60_999), handle: c.handle };
  const start = Math.round(before - r.uniform(3, 10) * MIN);
  const stop = Math.round(before - r.uniform(0.5, 2) * MIN);
  return planted('previous-exit-port-holder', `${exit}:${exitPort} was mapped to ${m.client}:${m.clientPort} (${c.handle}) until ${new Date(stop).toISOString()}${lost ? ', stop never logged' : ''}`,
    vpnSession(v, r, id, m, { start, stop, until: Infinity, lostStop: lost, timing: { notBefore: w.t0 } }));
}

/** Other clients on the same exit address, other ports, during the attack. */
export function exitNeighbours(w: World, v: VpnWorld, r: Rng, id: () => string, exit: string, from: number, to: number): Planted {
  const inUse = v.portsInUse.get(exit)!;
  const records: RawOut[] = [];
  const n = r.int(3, 6);
  for (let i = 0; i < n; i++) {
    const c = v.clients[r.int(0, v.clients.length - 1)]!;
    let port = r.int(1024, 65535);
    while (inUse.has(port)) port = port === 65535 ? 1024 : port + 1;
    inUse.add(port);
    const start = Math.round(r.uniform(from - 5 * MIN, from));
    const m: VpnMapping = { exit, exitPort: port, client: c.sub.framed, clientPort: r.int(32_768, 60_999), handle: c.handle };
    records.push(...vpnSession(v, r, id, m, { start, stop: Math.round(r.uniform(from + 10_000, to + 5 * MIN)), until: Infinity, timing: { notBefore: w.t0 } }));
  }
  return planted('exit-neighbours', `${n} other clients mapped to ${exit} (other ports) during the attack`, records);
}
