// The simulated world at the start of a run: per access provider its subscribers with their
// current access session, framed addresses (and IPv6 /64 + /56), port blocks on shared CGN
// addresses or their RFC 7422 mapping; VPN exits and accounts; hosting servers; exporter
// models; and the subjects each attack pins (kept out of background session churn). Built
// from the scenario and the provider directory with seeded PRNG streams. Pure.
import type { DeterministicNatRule, Provider } from '../../schemas/types.gen.ts';
import { parsePrefix, type Prefix } from '../common/address.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import { natTarget } from './rfc7422.ts';
import { seededRng, type Rng } from './relay-traffic.ts';
import { createV4Pool, firstHost, hostCount, v4At, v6Sub, type V4Pool } from './address-pools.ts';
import { createBlockPool, type Block, type BlockPool } from './block-pool.ts';
import { createIdSource, type ExporterModel, type IdSource } from './raw-events.ts';
import type { AccessRole, HostingRole, Scenario, VpnRole } from './scenario.ts';

export interface Subscriber {
  providerId: string;
  /** Opaque provider-scoped pseudonym (never an identity). */
  handle: string;
  /** Framed-IP-Address: public, or inside space behind the provider's NAT. */
  framed: string;
  v6: { framed: string; delegated: string } | null;
  blocks: Block[];
  det: { outsideAddr: string; portLo: number; portHi: number } | null;
  acctSessionId: string;
  /** Start of the current access session / of its port blocks, true UTC ms. */
  sessionStart: number;
  blocksStart: number;
  /** Used by an attack: its records come from the attack chain, not the background. */
  pinned: boolean;
  /** False between an access session's stop and the next start (no traffic then). */
  online: boolean;
}

export interface AccessWorld {
  kind: 'access'; provider: Provider; role: AccessRole; subscribers: Subscriber[]; framedPool: V4Pool;
  blocks: BlockPool | null; rule: DeterministicNatRule | null; v6Pool: Prefix | null; v6Next: number;
  aaa: ExporterModel; nat: ExporterModel | null; flow: ExporterModel | null;
}
export interface VpnClient { handle: string; sub: Subscriber; viaV6: boolean }
export interface VpnWorld {
  kind: 'vpn'; provider: Provider; role: VpnRole; exits: string[]; gateway: string; clients: VpnClient[];
  /** Exit ports in use per exit address (mappings are port-unique while active). */
  portsInUse: Map<string, Set<number>>; gw: ExporterModel; flow: ExporterModel | null;
}
export interface HostingWorld { kind: 'hosting'; provider: Provider; role: HostingRole; servers: string[]; flow: ExporterModel }
export interface AttackSubjects { victim: string; entry: Subscriber; origin: Subscriber | null; client: VpnClient | null }

export interface World {
  scenario: Scenario; t0: number; runId: string; ids: IdSource; exporters: Map<string, ExporterModel>;
  access: Map<string, AccessWorld>; vpn: Map<string, VpnWorld>; hosting: Map<string, HostingWorld>;
  elsewhere: Prefix[]; subjects: AttackSubjects[];
}

/** An independent, reproducible PRNG stream per purpose. */
export function streamRng(seed: number, label: string): Rng {
  let h = 0x811c9dc5;
  for (const c of label) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return seededRng((seed ^ h) >>> 0);
}

/** A run's own seed from the scenario's: a different world every run, reproducible from both. */
export function runSeed(seed: number, runId: string): number {
  return streamRng(seed, `run:${runId}`).int(0, 0xffffffff) >>> 0;
}

export function newHandle(r: Rng, prefix: string, taken: Set<string>): string {
  for (;;) {
    const h = `${prefix}-${r.int(0, 0xffffffff).toString(16).padStart(8, '0')}`;
    if (!taken.has(h)) { taken.add(h); return h; }
  }
}

/** The next subscriber's /64 (WAN) and /56 (delegated), from the two halves of the pool. */
export function nextV6(a: AccessWorld): { framed: string; delegated: string } | null {
  if (!a.v6Pool) return null;
  const half = 2 ** (56 - a.v6Pool.length - 1);
  const k = a.v6Next++;
  const delegated = v6Sub(a.v6Pool, 56, k % half);
  const wan = parsePrefix(v6Sub(a.v6Pool, 56, half + Math.floor(k / 256)));
  return { framed: v6Sub(wan, 64, k % 256), delegated };
}

export function buildWorld(s: Scenario, dir: ProviderDirectory, t0: number, runId: string): World {
  const r = streamRng(s.seed, 'world');
  const handles = new Set<string>();
  const exporters = new Map<string, ExporterModel>();
  const model = (id: string): ExporterModel => {
    let m = exporters.get(id);
    if (!m) {
      m = { ...s.exporterDefaults, ...s.exporters[id], id, providerId: dir.byExporter(id)!.providerId };
      exporters.set(id, m);
    }
    return m;
  };
  const w: World = {
    scenario: s, t0, runId, ids: createIdSource(runId), exporters, access: new Map(), vpn: new Map(), hosting: new Map(),
    elsewhere: s.background.elsewhere.map((c) => parsePrefix(c)), subjects: [],
  };
  const hist = s.background.historyMs;
  for (const [id, role] of Object.entries(s.providers)) {
    const provider = dir.byId(id)!;
    if (role.role === 'access') {
      const a: AccessWorld = {
        kind: 'access', provider, role, subscribers: [], framedPool: createV4Pool(role.framedPrefix, r),
        blocks: role.nat?.mode === 'port-block' ? createBlockPool(role.nat, role.subscribers, r, Math.floor(t0 / 60_000)) : null,
        rule: role.nat?.mode === 'deterministic' ? provider.deterministicNat[0]! : null,
        v6Pool: role.ipv6 ? parsePrefix(role.ipv6.poolPrefix) : null, v6Next: r.int(0, 255),
        aaa: model(role.aaaExporter), nat: role.nat?.mode === 'port-block' ? model(role.nat.exporter) : null,
        flow: role.flowExporter ? model(role.flowExporter) : null,
      };
      for (let i = 0; i < role.subscribers; i++) {
        const sessionStart = Math.round(t0 - r.uniform(0, hist));
        a.subscribers.push(newSubscriber(a, r, w, handles, sessionStart, Math.round(Math.min(t0, sessionStart + r.uniform(0, 60_000)))));
      }
      w.access.set(id, a);
    } else if (role.role === 'vpn') {
      const exitP = parsePrefix(role.exitPrefix);
      const exits = Array.from({ length: role.exitAddresses }, (_, i) => v4At(exitP, firstHost(exitP) + i));
      const gateway = role.gatewayAddr ?? v4At(exitP, hostCount(exitP) - 2);
      w.vpn.set(id, { kind: 'vpn', provider, role, exits, gateway, clients: [], portsInUse: new Map(exits.map((e) => [e, new Set<number>()])),
        gw: model(role.exporter), flow: role.flowExporter ? model(role.flowExporter) : null });
    } else {
      const p = parsePrefix(role.serverPrefix);
      w.hosting.set(id, { kind: 'hosting', provider, role, servers: Array.from({ length: role.servers }, (_, i) => v4At(p, firstHost(p) + i)), flow: model(role.flowExporter) });
    }
  }
  for (const v of w.vpn.values()) {
    const from = v.role.clientsFrom.map((c) => w.access.get(c)!);
    for (let i = 0; i < v.role.clients; i++) {
      const a = from[r.int(0, from.length - 1)]!;
      const sub = a.subscribers[r.int(0, a.subscribers.length - 1)]!;
      v.clients.push({ handle: newHandle(r, 'acct', handles), sub, viaV6: sub.v6 !== null && r.chance(0.3) });
    }
  }
  for (const at of s.attacks) w.subjects.push(pinSubjects(w, at, r, handles));
  return w;
}

export function newSubscriber(a: AccessWorld, r: Rng, w: Pick<World, 'runId' | 'ids'>, handles: Set<string>, sessionStart: number, blocksStart: number): Subscriber {
  const framed = a.framedPool.take(0);
  const v6 = a.role.ipv6 && r.chance(a.role.ipv6.share) ? nextV6(a) : null;
  const blocks: Block[] = [];
  if (a.blocks) {
    blocks.push(a.blocks.take(null));
    if (a.role.nat?.mode === 'port-block' && r.chance(a.role.nat.extraBlockProbability)) blocks.push(a.blocks.take(blocks[0]!.outsideAddr));
  }
  const d = a.rule ? natTarget(a.rule, framed) : null;
  return {
    providerId: a.provider.providerId, handle: newHandle(r, 'sub', handles), framed, v6, blocks,
    det: d && { outsideAddr: d.outsideAddr, portLo: d.portLo, portHi: d.portHi },
    acctSessionId: w.ids(`${a.provider.providerId}-acct`), sessionStart, blocksStart, pinned: false, online: true,
  };
}

function pinSubjects(w: World, at: Scenario['attacks'][number], r: Rng, handles: Set<string>): AttackSubjects {
  const aS = w.t0 + at.startOffsetMs;
  const pin = (a: AccessWorld, wantV6: boolean): Subscriber => {
    const free = a.subscribers.filter((x) => !x.pinned && (!wantV6 || x.v6 !== null));
    const sub = free.length > 0 ? free[r.int(0, free.length - 1)]! : a.subscribers.find((x) => !x.pinned)!;
    if (wantV6 && !sub.v6) sub.v6 = nextV6(a);
    sub.pinned = true;
    // The attack's sessions are established well before it and run through it.
    const spread = r.uniform(0, Math.max(600_000, w.scenario.background.historyMs)); // drawn either way: the same seed, the same world
    const before = at.sessionsStartedBeforeMs;
    sub.sessionStart = Math.round(aS - (before === null ? 120_000 + spread : before + spread / 10));
    sub.blocksStart = Math.round(sub.sessionStart + r.uniform(1_000, 60_000));
    return sub;
  };
  const victim = w.hosting.get(at.victim.provider)!.servers[at.victim.server]!;
  const entry = pin(w.access.get(at.entry)!, false);
  if (!at.relay) return { victim, entry, origin: null, client: null };
  const origin = pin(w.access.get(at.relay.origin)!, at.relay.originIpv6);
  return { victim, entry, origin, client: { handle: newHandle(r, 'acct', handles), sub: origin, viaV6: at.relay.originIpv6 } };
}
