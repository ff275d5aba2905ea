// Loads a scenario (shape and defaults: scenario-schema.ts) and validates it against the
// provider registry: every provider and exporter
// reference exists and belongs where it is used, every pool lies in its provider's prefixes
// and is large enough, attack timings are consistent. All problems are reported at once, by
// JSON path, in one CT_CONFIG error; the result is frozen.
import { readFileSync } from 'node:fs';
import type { Provider } from '../../schemas/types.gen.ts';
import { isScopedAddress, parsePrefix, prefixContains, type Prefix } from '../common/address.ts';
import { CrosstraceError } from '../common/errors.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import { parseScenario } from './scenario-schema.ts';
import type { AccessRole, ProviderRole, Scenario } from './scenario.ts';

/** Ports in one port block pool address: blocks of `size` from `first` up to 65535. */
export const blocksPerAddress = (first: number, size: number): number => Math.floor((65_536 - first) / size);

/** Default public addresses for a port-block CGN: 1.5 blocks per subscriber, plus one. */
export const defaultOutsideAddresses = (subscribers: number, first: number, size: number): number =>
  Math.ceil((subscribers * 1.5) / Math.max(1, blocksPerAddress(first, size))) + 1;

/** Problems found so far, each `key.path: message`. */
interface Problems { readonly problems: string[]; problem(path: string, message: string): void }
const collect = (first: string[]): Problems => ({ problems: first, problem(path, message) { this.problems.push(`${path}: ${message}`); } });

const sizeOf = (p: Prefix): number => 2 ** ((p.family === 4 ? 32 : 128) - p.length);

function prefixIn(r: Problems, path: string, cidr: string, provider: Provider | undefined, family: 4 | 6): Prefix | null {
  let p: Prefix;
  try { p = parsePrefix(cidr); } catch (e) { r.problem(path, `${JSON.stringify(cidr)} is not CIDR: ${(e as Error).message}`); return null; }
  if (p.family !== family) { r.problem(path, `${cidr} must be an IPv${family} prefix`); return null; }
  if (provider && !provider.prefixes.some((c) => { const o = parsePrefix(c); return o.family === p.family && o.length <= p.length && prefixContains(o, p.network); })) {
    r.problem(path, `${cidr} is not within the prefixes of ${provider.providerId} (${provider.prefixes.join(', ')})`);
  }
  return p;
}

function exporterOf(r: Problems, path: string, id: string | null, provider: Provider | undefined, dir: ProviderDirectory): void {
  if (id === null || !provider) return;
  const owner = dir.byExporter(id);
  if (!owner) r.problem(path, `exporter ${JSON.stringify(id)} is not in the provider registry`);
  else if (owner.providerId !== provider.providerId) r.problem(path, `exporter ${id} belongs to ${owner.providerId}, not ${provider.providerId}`);
}

function checkRole(r: Problems, s: Scenario, id: string, role: ProviderRole, dir: ProviderDirectory): void {
  const path = `providers.${id}`;
  const p = dir.byId(id);
  if (!p) { r.problem(path, `provider ${JSON.stringify(id)} is not in the provider registry (known: ${dir.list().map((x) => x.providerId).join(', ')})`); return; }
  if (role.role === 'access') {
    exporterOf(r, `${path}.aaaExporter`, role.aaaExporter, p, dir);
    exporterOf(r, `${path}.flowExporter`, role.flowExporter, p, dir);
    const framed = prefixIn(r, `${path}.framedPrefix`, role.framedPrefix, p, 4);
    if (framed && sizeOf(framed) - 2 < Math.ceil(role.subscribers * 1.25) + 4) r.problem(`${path}.framedPrefix`, `${role.framedPrefix} is too small for ${role.subscribers} subscribers (needs 25% spare for address changes)`);
    if (role.ipv6) {
      const v6 = prefixIn(r, `${path}.ipv6.poolPrefix`, role.ipv6.poolPrefix, p, 6);
      if (v6 && (v6.length > 48 || 2 ** (56 - v6.length) < role.subscribers * 2)) r.problem(`${path}.ipv6.poolPrefix`, `${role.ipv6.poolPrefix} must be /48 or shorter and hold two /56 per subscriber`);
    }
    if (role.nat?.mode === 'port-block') {
      const n = role.nat;
      exporterOf(r, `${path}.nat.exporter`, n.exporter, p, dir);
      const out = prefixIn(r, `${path}.nat.outsidePrefix`, n.outsidePrefix, p, 4);
      const slots = blocksPerAddress(n.firstPort, n.blockSize);
      if (slots < 1) r.problem(`${path}.nat.blockSize`, `no block of ${n.blockSize} ports fits above port ${n.firstPort}`);
      const addrs = n.outsideAddresses || defaultOutsideAddresses(role.subscribers, n.firstPort, n.blockSize);
      if (out && addrs > sizeOf(out)) r.problem(`${path}.nat.outsideAddresses`, `${addrs} addresses do not fit in ${n.outsidePrefix}`);
      if (slots >= 1 && addrs * slots < role.subscribers * (1 + n.extraBlockProbability) * 1.2) {
        r.problem(`${path}.nat.outsideAddresses`, `${addrs} addresses x ${slots} blocks cannot serve ${role.subscribers} subscribers with 20% spare`);
      }
    } else if (role.nat?.mode === 'deterministic') {
      const rule = p.deterministicNat[0];
      if (!rule) r.problem(`${path}.nat`, `${id} publishes no deterministicNat rule in the provider registry`);
      else if (framed && !prefixContains(rule.insidePrefix, framed.network)) r.problem(`${path}.framedPrefix`, `${role.framedPrefix} must lie within the rule's inside prefix ${rule.insidePrefix}`);
    }
  } else if (role.role === 'vpn') {
    exporterOf(r, `${path}.exporter`, role.exporter, p, dir);
    exporterOf(r, `${path}.flowExporter`, role.flowExporter, p, dir);
    const exits = prefixIn(r, `${path}.exitPrefix`, role.exitPrefix, p, 4);
    if (exits && role.exitAddresses > sizeOf(exits) - 1) r.problem(`${path}.exitAddresses`, `${role.exitAddresses} exits and the gateway do not fit in ${role.exitPrefix}`);
    if (role.gatewayAddr !== null) prefixIn(r, `${path}.gatewayAddr`, `${role.gatewayAddr}/32`, p, 4);
    if (role.clientsFrom.length === 0) r.problem(`${path}.clientsFrom`, 'must name at least one access provider');
    for (const [i, c] of role.clientsFrom.entries()) {
      const cr = s.providers[c];
      if (!cr || cr.role !== 'access' || cr.nat !== null) r.problem(`${path}.clientsFrom[${i}]`, `${c} must be a provider of this scenario with role access and no NAT`);
    }
  } else {
    exporterOf(r, `${path}.flowExporter`, role.flowExporter, p, dir);
    const servers = prefixIn(r, `${path}.serverPrefix`, role.serverPrefix, p, 4);
    if (servers && role.servers > sizeOf(servers) - 2) r.problem(`${path}.servers`, `${role.servers} servers do not fit in ${role.serverPrefix}`);
  }
}

function checkAttacks(r: Problems, s: Scenario): void {
  const names = new Set<string>();
  const pinned = new Map<string, number>();
  for (const [i, a] of s.attacks.entries()) {
    const path = `attacks[${i}]`;
    if (!/^[a-z0-9][a-z0-9-]*$/.test(a.name)) r.problem(`${path}.name`, `${JSON.stringify(a.name)} must be lowercase letters, digits and dashes`);
    if (names.has(a.name)) r.problem(`${path}.name`, `${a.name} is used twice`);
    names.add(a.name);
    const victim = s.providers[a.victim.provider];
    if (victim?.role !== 'hosting') r.problem(`${path}.victim.provider`, `${a.victim.provider} must be a provider of this scenario with role hosting`);
    else if (a.victim.server >= victim.servers) r.problem(`${path}.victim.server`, `${a.victim.provider} has ${victim.servers} servers (0-based index)`);
    const entry = s.providers[a.entry] as AccessRole | undefined;
    if (entry?.role !== 'access') r.problem(`${path}.entry`, `${a.entry} must be a provider of this scenario with role access`);
    pinned.set(a.entry, (pinned.get(a.entry) ?? 0) + 1);
    if (a.relay) {
      if (entry?.role === 'access' && entry.flowExporter === null) r.problem(`${path}.relay`, `relay timing needs a flowExporter at the entry provider ${a.entry}`);
      if (s.providers[a.relay.vpn]?.role !== 'vpn') r.problem(`${path}.relay.vpn`, `${a.relay.vpn} must be a provider of this scenario with role vpn`);
      const origin = s.providers[a.relay.origin];
      if (origin?.role !== 'access' || origin.nat !== null) r.problem(`${path}.relay.origin`, `${a.relay.origin} must be a provider of this scenario with role access and no NAT`);
      else if (a.relay.originIpv6 && origin.ipv6 === null) r.problem(`${path}.relay.originIpv6`, `${a.relay.origin} has no ipv6 pool`);
      pinned.set(a.relay.origin, (pinned.get(a.relay.origin) ?? 0) + 1);
    }
    for (const step of Object.keys(a.withhold)) {
      const ok = step === 'entry-access' || (step === 'entry-nat' ? entry?.nat?.mode === 'port-block' : a.relay !== null);
      if (!ok) r.problem(`${path}.withhold.${step}`, 'this attack has no such records (entry-nat needs a port-block entry; relay-flows, vpn, origin-access need relay)');
    }
    if (a.observeAfterMs >= a.durationMs) r.problem(`${path}.observeAfterMs`, `must fall within the attack (durationMs ${a.durationMs})`);
    if (a.trace.openAfterMs < a.observeAfterMs) r.problem(`${path}.trace.openAfterMs`, `the trace cannot open (${a.trace.openAfterMs}) before the observation (${a.observeAfterMs})`);
    if (a.startOffsetMs + a.trace.openAfterMs >= s.durationMs) r.problem(`${path}.trace.openAfterMs`, `the trace would open after the run ends (durationMs ${s.durationMs})`);
  }
  for (const [id, n] of pinned) {
    const role = s.providers[id];
    if (role?.role === 'access' && role.subscribers < n + 1) r.problem(`providers.${id}.subscribers`, `needs more than the ${n} subscriber(s) the attacks use`);
  }
}

function checkBackground(r: Problems, s: Scenario, dir: ProviderDirectory): void {
  for (const [i, cidr] of s.background.elsewhere.entries()) {
    let p: Prefix;
    try { p = parsePrefix(cidr); } catch (e) { r.problem(`background.elsewhere[${i}]`, `${JSON.stringify(cidr)} is not CIDR: ${(e as Error).message}`); continue; }
    const owned = dir.list().flatMap((x) => x.prefixes.map((c) => ({ x, q: parsePrefix(c) })))
      .find(({ q }) => q.family === p.family && (prefixContains(p, q.network) || prefixContains(q, p.network)));
    if (isScopedAddress(p.network)) r.problem(`background.elsewhere[${i}]`, `${cidr} is scoped (private/shared) space`);
    else if (owned) r.problem(`background.elsewhere[${i}]`, `${cidr} overlaps ${owned.x.providerId}'s prefix ${owned.q.network}/${owned.q.length}`);
  }
  if (!s.background.elsewhere.some((c) => { try { return parsePrefix(c).family === 4; } catch { return false; } })) {
    r.problem('background.elsewhere', 'must hold at least one IPv4 prefix (IPv4 subscribers talk to the internet too)');
  }
  const flowExporters = new Set(Object.values(s.providers).map((x) => x.flowExporter).filter((x) => x !== null));
  for (const id of Object.keys(s.background.flowWeights ?? {})) {
    if (!flowExporters.has(id)) r.problem(`background.flowWeights.${id}`, `is not a flowExporter of this scenario (${[...flowExporters].join(', ')})`);
  }
  for (const id of Object.keys(s.exporters)) if (!dir.byExporter(id)) r.problem(`exporters.${id}`, 'is not an exporter in the provider registry');
  if (Object.keys(s.providers).length === 0) r.problem('providers', 'must name at least one provider');
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) { Object.freeze(o); for (const v of Object.values(o)) deepFreeze(v); }
  return o;
}

/** Validated, defaulted, frozen scenario; throws CT_CONFIG listing every problem by path. */
export function validateScenario(raw: unknown, dir: ProviderDirectory, source = 'scenario'): Scenario {
  const parsed = parseScenario(raw);
  const r = collect(parsed.problems);
  const s = parsed.scenario;
  if (s) {
    for (const [id, role] of Object.entries(s.providers)) checkRole(r, s, id, role, dir);
    checkAttacks(r, s);
    checkBackground(r, s, dir);
  }
  if (!s || r.problems.length > 0) throw new CrosstraceError('CT_CONFIG', `${source} is invalid:\n  - ${r.problems.join('\n  - ')}`);
  return deepFreeze(s);
}

export interface ScenarioOverrides { seed?: number; durationMs?: number; eventsPerSecond?: number }

/** Reads, overrides (per run, before validation, so the result is checked as a whole), validates. */
export function loadScenarioFile(path: string, dir: ProviderDirectory, o: ScenarioOverrides = {}): Scenario {
  let raw: Record<string, unknown>;
  try { raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>; } catch (e) {
    throw new CrosstraceError('CT_CONFIG', `scenario file ${path} cannot be read as JSON: ${(e as Error).message}`, { cause: e });
  }
  if (raw !== null && typeof raw === 'object') {
    if (o.seed !== undefined) raw.seed = o.seed;
    if (o.durationMs !== undefined) raw.durationMs = o.durationMs;
    if (o.eventsPerSecond !== undefined) raw.background = { ...(raw.background as object | undefined), eventsPerSecond: o.eventsPerSecond };
  }
  const overridden = Object.keys(o).filter((k) => o[k as keyof ScenarioOverrides] !== undefined);
  return validateScenario(raw, dir, `scenario file ${path}${overridden.length ? ` (with ${overridden.join(', ')} overridden by CROSSTRACE_SIMULATOR_* settings)` : ''}`);
}
