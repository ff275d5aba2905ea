// Session log records of the simulated devices: RADIUS accounting (Start / Interim-Update /
// Stop with Framed-IP-Address, Framed-IPv6-Prefix, Delegated-IPv6-Prefix, Acct-Delay-Time),
// CGN port-block allocate / release (RFC 8158 natEvent 16 / 17) and VPN exit mappings. Pure.
import type { SessionAction } from '../../schemas/types.gen.ts';
import type { Rng } from './relay-traffic.ts';
import type { Block } from './block-pool.ts';
import { sessionOut, type ExporterModel, type RawOut, type SessionTiming } from './raw-events.ts';
import type { AccessWorld, VpnWorld } from './world.ts';

export interface AccessHolder {
  handle: string;
  acctSessionId: string;
  framed: string;
  v6: { framed: string; delegated: string } | null;
}

/** Acct-Delay-Time of one record: > 0 with the provider's probability, else 0, seconds. */
export function acctDelay(a: AccessWorld, r: Rng): number {
  const [lo, hi] = a.role.acctDelaySeconds;
  return r.chance(a.role.acctDelayProbability) ? r.int(lo, hi) : 0;
}

export function accessRecord(a: AccessWorld, r: Rng, eventId: string, action: SessionAction, t: number, h: AccessHolder, timing: SessionTiming = {}): RawOut {
  return sessionOut(a.aaa, r, eventId, t, {
    kind: 'ACCESS_SESSION', action, framedIpAddress: h.framed, framedIpv6Prefix: h.v6?.framed ?? null, delegatedIpv6Prefix: h.v6?.delegated ?? null,
    acctSessionId: h.acctSessionId, subscriberHandle: h.handle,
  }, { acctDelayS: timing.acctDelayS ?? acctDelay(a, r), ...timing });
}

export function blockRecord(nat: ExporterModel, r: Rng, eventId: string, action: 'START' | 'STOP', t: number, b: Block, inside: string, timing: SessionTiming = {}): RawOut {
  return sessionOut(nat, r, eventId, t, {
    kind: 'PORT_BLOCK', action, natEvent: action === 'START' ? 16 : 17, outsideAddr: b.outsideAddr, portRangeStart: b.lo, portRangeEnd: b.hi, insideAddr: inside,
  }, timing);
}

export interface VpnMapping { exit: string; exitPort: number; client: string; clientPort: number; handle: string }

export function vpnRecord(v: VpnWorld, r: Rng, eventId: string, action: 'START' | 'STOP', t: number, m: VpnMapping, timing: SessionTiming = {}): RawOut {
  return sessionOut(v.gw, r, eventId, t, {
    kind: 'VPN_SESSION', action, protocol: 6, outsideAddr: m.exit, outsidePort: m.exitPort, insideAddr: m.client, insidePort: m.clientPort, subscriberHandle: m.handle,
  }, timing);
}

export interface SessionLife {
  start: number;
  /** null: still running at the end of what is generated. */
  stop: number | null;
  /** Records are generated up to here (true UTC ms). */
  until: number;
  timing?: SessionTiming;
  /** The STOP is never logged. */
  lostStop?: boolean;
}

/** Start, an Interim-Update every interval, Stop: one access session's records. */
export function accessSession(a: AccessWorld, r: Rng, id: () => string, h: AccessHolder, life: SessionLife, interimMs: number): RawOut[] {
  const out = [accessRecord(a, r, id(), 'START', life.start, h, life.timing)];
  const end = Math.min(life.stop ?? Infinity, life.until);
  for (let t = life.start + interimMs; t < end; t += interimMs) out.push(accessRecord(a, r, id(), 'INTERIM', t, h, life.timing));
  if (life.stop !== null && life.stop <= life.until && !life.lostStop) out.push(accessRecord(a, r, id(), 'STOP', life.stop, h, life.timing));
  return out;
}

export function blockSession(nat: ExporterModel, r: Rng, id: () => string, b: Block, inside: string, life: SessionLife): RawOut[] {
  const out = [blockRecord(nat, r, id(), 'START', life.start, b, inside, life.timing)];
  if (life.stop !== null && life.stop <= life.until && !life.lostStop) out.push(blockRecord(nat, r, id(), 'STOP', life.stop, b, inside, life.timing));
  return out;
}

export function vpnSession(v: VpnWorld, r: Rng, id: () => string, m: VpnMapping, life: SessionLife): RawOut[] {
  const out = [vpnRecord(v, r, id(), 'START', life.start, m, life.timing)];
  if (life.stop !== null && life.stop <= life.until && !life.lostStop) out.push(vpnRecord(v, r, id(), 'STOP', life.stop, m, life.timing));
  return out;
}
