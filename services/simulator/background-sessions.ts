// Background session logs: access sessions running at the start (backfilled: START and past
// Interim-Updates exported at the start), Interim-Updates, churn (Stop, blocks released, a
// new session later, often with another framed address or other blocks: address and port
// reuse across subscribers), VPN exit mappings. Missing records, lost and late stops as the
// scenario says. Pinned subscribers (the attacks') are left to the attack chain. Pure.
import { natTarget } from './rfc7422.ts';
import type { Rng } from './relay-traffic.ts';
import { elsewhereAddr, ephemeralPort, v6HostIn } from './address-pools.ts';
import { flowOut, type RawOut } from './raw-events.ts';
import type { TimingWheel } from './scheduling.ts';
import { accessRecord, blockRecord, vpnRecord, type VpnMapping } from './session-records.ts';
import type { AccessWorld, Subscriber, VpnWorld, World } from './world.ts';

const exp = (r: Rng, mean: number): number => -Math.log(1 - r.next()) * mean;

/** Records of sessions running at the start are exported over this long after it, ms. */
export const BACKFILL_SPREAD_MS = 5_000;

export function createSessionProcesses(w: World, r: Rng, wheel: TimingWheel, emit: (x: RawOut) => void) {
  const bg = w.scenario.background;
  const interim = bg.acctInterimIntervalMs;
  const log = (x: RawOut, stop = false): void => {
    if (r.chance(bg.missingLogProbability) || (stop && r.chance(bg.lostStopProbability))) return;
    emit(x);
  };
  const stopTiming = () => (r.chance(bg.lateStopProbability) ? { lateMs: bg.lateStopDelayMs } : {});
  const id = (a: AccessWorld | VpnWorld) => w.ids(a.provider.providerId);
  const mappings = new Set<{ v: VpnWorld; m: VpnMapping }>();

  function scheduleInterim(a: AccessWorld, sub: Subscriber, t: number): void {
    const sid = sub.acctSessionId;
    wheel.schedule(t, () => {
      if (sub.acctSessionId !== sid || !sub.online) return;
      log(accessRecord(a, r, id(a), 'INTERIM', t, sub));
      scheduleInterim(a, sub, t + interim);
    });
  }

  function scheduleChurn(a: AccessWorld, sub: Subscriber, after: number): void {
    if (bg.sessionChurnPerHour <= 0) return;
    const t = Math.round(after + exp(r, 3_600_000 / bg.sessionChurnPerHour));
    wheel.schedule(t, () => {
      sub.online = false;
      log(accessRecord(a, r, id(a), 'STOP', t, sub, stopTiming()), true);
      for (const b of sub.blocks) {
        log(blockRecord(a.nat!, r, id(a), 'STOP', t + Math.round(r.uniform(0, 2_000)), b, sub.framed, stopTiming()), true);
        a.blocks!.release(b);
      }
      const t2 = Math.round(t + r.uniform(1_000, 60_000));
      wheel.schedule(t2, () => restart(a, sub, t2));
    });
  }

  function restart(a: AccessWorld, sub: Subscriber, t: number): void {
    sub.acctSessionId = w.ids(`${a.provider.providerId}-acct`);
    if (r.chance(bg.addressChangeProbability)) {
      a.framedPool.release(sub.framed);
      sub.framed = a.framedPool.take(0.5);
      if (a.rule) {
        const d = natTarget(a.rule, sub.framed);
        sub.det = { outsideAddr: d.outsideAddr, portLo: d.portLo, portHi: d.portHi };
      }
    }
    if (a.blocks && a.role.nat?.mode === 'port-block') {
      sub.blocks = [a.blocks.take(null)];
      if (r.chance(a.role.nat.extraBlockProbability)) sub.blocks.push(a.blocks.take(sub.blocks[0]!.outsideAddr));
    }
    sub.sessionStart = t;
    sub.blocksStart = t + Math.round(r.uniform(0, 2_000));
    sub.online = true;
    log(accessRecord(a, r, id(a), 'START', t, sub));
    for (const b of sub.blocks) log(blockRecord(a.nat!, r, id(a), 'START', sub.blocksStart, b, sub.framed));
    scheduleInterim(a, sub, t + interim);
    scheduleChurn(a, sub, t);
  }

  function scheduleMapping(v: VpnWorld, after: number): void {
    if (v.role.mappingsPerMinute <= 0) return;
    const t = Math.round(after + exp(r, 60_000 / v.role.mappingsPerMinute));
    wheel.schedule(t, () => {
      const c = v.clients[r.int(0, v.clients.length - 1)]!;
      const exit = v.exits[r.int(0, v.exits.length - 1)]!;
      const inUse = v.portsInUse.get(exit)!;
      let port = r.int(1024, 65535);
      while (inUse.has(port)) port = port === 65535 ? 1024 : port + 1;
      inUse.add(port);
      const m: VpnMapping = { exit, exitPort: port, client: c.viaV6 && c.sub.v6 ? v6HostIn(c.sub.v6.delegated, r) : c.sub.framed, clientPort: ephemeralPort(r), handle: c.handle };
      log(vpnRecord(v, r, id(v), 'START', t, m));
      const live = { v, m };
      mappings.add(live);
      const end = Math.round(t + Math.min(1_800_000, Math.max(2_000, r.lognormal(60_000, 1))));
      wheel.schedule(end, () => {
        if (!mappings.delete(live)) return; // shut down
        log(vpnRecord(v, r, id(v), 'STOP', end, m, stopTiming()), true);
        inUse.delete(port);
        if (v.flow) {
          // What the mapping carried, as the exit's flow exporter saw it.
          const ends = { srcAddr: exit, srcPort: port, dstAddr: elsewhereAddr(w.elsewhere, r, 4), dstPort: 443, protocol: 6 };
          const octets = r.lognormal(50_000, 1.5);
          emit(flowOut(v.flow, r, w.ids(v.flow.id), ends, t + 5, end, octets, octets / r.uniform(400, 1_400), 'END_OF_FLOW', end));
        }
      });
      scheduleMapping(v, t);
    });
  }

  return {
    /**
     * The devices shut down at `now` (NAS reboot, CGN and VPN gateway restart): every running
     * session of the background stops and is logged, so a later run on the same stack does not
     * find this run's sessions still open. Processes scheduled after `now` do nothing.
     */
    shutdown(now: number): RawOut[] {
      const out: RawOut[] = [];
      for (const a of w.access.values()) {
        for (const sub of a.subscribers) {
          if (sub.pinned || !sub.online) continue;
          sub.online = false;
          out.push(accessRecord(a, r, id(a), 'STOP', now, sub, { acctDelayS: 0 }));
          for (const b of sub.blocks) out.push(blockRecord(a.nat!, r, id(a), 'STOP', now, b, sub.framed));
        }
      }
      for (const { v, m } of mappings) out.push(vpnRecord(v, r, id(v), 'STOP', now, m));
      mappings.clear();
      return out;
    },
    /** Records of what is running at the start (exported then), and the processes scheduled. */
    backfill(): RawOut[] {
      const out: RawOut[] = [];
      // The handover of what is running streams out over the first seconds, not in one burst.
      const timing = () => ({ notBefore: w.t0 + r.uniform(0, BACKFILL_SPREAD_MS) });
      const add = (x: RawOut, stop = false) => { if (!r.chance(bg.missingLogProbability) && !(stop && r.chance(bg.lostStopProbability))) out.push(x); };
      for (const a of w.access.values()) {
        for (const sub of a.subscribers) {
          if (sub.pinned) continue;
          add(accessRecord(a, r, id(a), 'START', sub.sessionStart, sub, timing()));
          let t = sub.sessionStart + interim;
          for (; t < w.t0; t += interim) add(accessRecord(a, r, id(a), 'INTERIM', t, sub, timing()));
          for (const b of sub.blocks) add(blockRecord(a.nat!, r, id(a), 'START', sub.blocksStart, b, sub.framed, timing()));
          scheduleInterim(a, sub, t);
          scheduleChurn(a, sub, w.t0);
        }
      }
      for (const v of w.vpn.values()) scheduleMapping(v, w.t0);
      return out;
    },
  };
}
