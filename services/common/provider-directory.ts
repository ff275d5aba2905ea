// The provider registry in memory: who owns which prefixes (longest-prefix match, IPv4 and
// IPv6), which exporters, and which RFC 7422 deterministic NAT rules. Seeded from a file,
// updated live (provider-feed.ts). Pure: no I/O but loadProvidersFile.
//
// Global prefixes go into one exact-match table per prefix length, so byAddress costs one map
// probe per distinct length. Prefixes in scoped space (RFC 1918, RFC 6598, ULA, ...) repeat
// across providers: they are kept per provider and only found with that provider as scope.
import { readFileSync } from 'node:fs';
import { SessionKindSymbols, type DeterministicNatRule, type Provider } from '../../schemas/types.gen.ts';
import {
  addressBits, hexPrefix, isValidAddress, ipv4ToInt, ipv6ToHex, isScopedAddress, parsePrefix, prefixContains, prefixText,
  type AddressBits, type Prefix,
} from './address.ts';
import { CrosstraceError } from './errors.ts';

export interface ProviderMatch {
  provider: Provider;
  /** The matching prefix, canonical CIDR text. */
  prefix: string;
}

export interface ProviderDirectory {
  /** Longest-prefix match. A scoped address (isScopedAddress) is only found with its provider as
   *  scope; without one it is undefined, since several providers may use it. */
  byAddress(addr: string, scopeProviderId?: string | null): ProviderMatch | undefined;
  byExporter(exporterId: string): Provider | undefined;
  byId(providerId: string): Provider | undefined;
  /** Adds or replaces a provider; throws (directory unchanged) when it is invalid or clashes. */
  upsert(p: Provider): void;
  remove(providerId: string): void;
  list(): Provider[];
  /** The deterministic NAT rule whose outside prefix holds `outsideAddr` at time t (UTC ms). */
  deterministicRuleFor(outsideAddr: string, t: number): { provider: Provider; rule: DeterministicNatRule } | undefined;
}

/** RFC 7422 rule arithmetic, checked: inside offset k -> outside offset floor(k / perAddress),
 *  ports firstPort + (k mod perAddress) * portsPerSubscriber, +portsPerSubscriber-1. */
export interface NatRuleGeometry {
  inside: Prefix;
  outside: Prefix;
  insideBase: number;
  outsideBase: number;
  /** Inside addresses sharing one outside address: insideSize / outsideSize (RFC 7422's ratio). */
  perAddress: number;
}

/** Validates a rule and derives its geometry; throws CT_CONFIG / CT_INVALID_PREFIX saying what is wrong. */
export function natRuleGeometry(rule: DeterministicNatRule): NatRuleGeometry {
  const inside = parsePrefix(rule.insidePrefix);
  const outside = parsePrefix(rule.outsidePrefix);
  const bad = (msg: string) => new CrosstraceError('CT_CONFIG', `deterministic NAT rule ${rule.insidePrefix} -> ${rule.outsidePrefix}: ${msg}`);
  if (inside.family !== 4 || outside.family !== 4) throw bad('both prefixes must be IPv4');
  if (outside.length < inside.length) throw bad('the outside prefix is larger than the inside prefix');
  const perAddress = 2 ** (outside.length - inside.length);
  const { portsPerSubscriber: pps, firstPort } = rule;
  if (!Number.isInteger(pps) || pps < 1) throw bad(`portsPerSubscriber must be an integer >= 1, got ${pps}`);
  if (!Number.isInteger(firstPort) || firstPort < 0 || firstPort > 65535) throw bad(`firstPort must be 0-65535, got ${firstPort}`);
  if (firstPort + perAddress * pps > 65536) {
    throw bad(`${perAddress} inside addresses per outside address x ${pps} ports from ${firstPort} run past port 65535`);
  }
  if (rule.validTo !== null && rule.validTo < rule.validFrom) throw bad('validTo is before validFrom');
  return { inside, outside, insideBase: ipv4ToInt(inside.network), outsideBase: ipv4ToInt(outside.network), perAddress };
}

interface Entry extends ProviderMatch { p: Prefix }
interface Tables {
  v4: Map<number, Map<number, Entry>>;
  v6: Map<number, Map<string, Entry>>;
  v4Lengths: number[];
  v6Lengths: number[];
  scoped: Map<string, Entry[]>;
  exporters: Map<string, Provider>;
  rules: { provider: Provider; rule: DeterministicNatRule; outside: Prefix }[];
}

const configError = (msg: string, cause?: unknown) => new CrosstraceError('CT_CONFIG', msg, { cause });

function build(providers: Iterable<Provider>): Tables {
  const t: Tables = { v4: new Map(), v6: new Map(), v4Lengths: [], v6Lengths: [], scoped: new Map(), exporters: new Map(), rules: [] };
  for (const provider of providers) {
    const id = provider.providerId;
    for (const e of provider.exporters) {
      const other = t.exporters.get(e);
      if (other && other.providerId !== id) throw configError(`provider ${id}: exporter ${JSON.stringify(e)} already belongs to provider ${other.providerId}`);
      t.exporters.set(e, provider);
    }
    for (const cidr of provider.prefixes) {
      let p: Prefix;
      try { p = parsePrefix(cidr); } catch (e) {
        throw new CrosstraceError('CT_INVALID_PREFIX', `provider ${id}: prefix ${JSON.stringify(cidr)} is invalid: ${(e as Error).message}`, { cause: e });
      }
      const entry: Entry = { provider, prefix: prefixText(p), p };
      if (isScopedAddress(p.network)) {
        t.scoped.set(id, [...(t.scoped.get(id) ?? []), entry].sort((a, b) => b.p.length - a.p.length));
        continue;
      }
      const key = p.family === 4 ? ipv4ToInt(p.network) : hexPrefix(ipv6ToHex(p.network), p.length);
      const table = (p.family === 4 ? t.v4 : t.v6) as Map<number, Map<number | string, Entry>>;
      const byNet = table.get(p.length) ?? new Map<number | string, Entry>();
      table.set(p.length, byNet);
      const clash = byNet.get(key);
      if (clash && clash.provider.providerId !== id) {
        throw new CrosstraceError('CT_INVALID_PREFIX', `provider ${id}: prefix ${JSON.stringify(cidr)} is already owned by provider ${clash.provider.providerId}`);
      }
      byNet.set(key, entry);
    }
    for (const rule of provider.deterministicNat) {
      let g: NatRuleGeometry;
      try { g = natRuleGeometry(rule); } catch (e) {
        throw new CrosstraceError((e as CrosstraceError).code ?? 'CT_CONFIG', `provider ${id}: ${(e as Error).message}`, { cause: e });
      }
      if (!provider.prefixes.some((c) => { const o = parsePrefix(c); return o.length <= g.outside.length && prefixContains(o, g.outside.network); })) {
        throw configError(`provider ${id}: deterministic NAT outside prefix ${rule.outsidePrefix} is not within the provider's prefixes`);
      }
      t.rules.push({ provider, rule, outside: g.outside });
    }
  }
  t.v4Lengths = [...t.v4.keys()].sort((a, b) => b - a);
  t.v6Lengths = [...t.v6.keys()].sort((a, b) => b - a);
  return t;
}

/** The fields added after release 1 are optional in hand-written records (tests, older seed files). */
const withDefaults = (p: Provider): Provider => (p && (p.maxSessionAgeMs === undefined || p.interimIntervalMs === undefined || p.exporterKinds === undefined
  || p.natMappingTimeoutMs === undefined || p.delegatedPrefixLength === undefined || p.flowExportLagMs === undefined)
  ? {
    ...p, maxSessionAgeMs: p.maxSessionAgeMs ?? {}, interimIntervalMs: p.interimIntervalMs ?? {}, exporterKinds: p.exporterKinds ?? {},
    natMappingTimeoutMs: p.natMappingTimeoutMs ?? {}, delegatedPrefixLength: p.delegatedPrefixLength ?? null, flowExportLagMs: p.flowExportLagMs ?? {},
  } : p);

/** Checks a provider's maxSessionAgeMs and interimIntervalMs: session kinds as keys, integers of
 *  at least a minute as values. Returns problems. (What each kind's default age is, is the hop
 *  methods' business: join/methods/session-ages.ts.) */
export function sessionAgeProblems(p: Pick<Provider, 'providerId' | 'maxSessionAgeMs' | 'interimIntervalMs'>): string[] {
  const out: string[] = [];
  const isKind = (k: string): boolean => (SessionKindSymbols as readonly string[]).includes(k);
  for (const [kind, ms] of Object.entries(p.interimIntervalMs ?? {})) {
    if (!isKind(kind)) out.push(`provider ${p.providerId}: interimIntervalMs key ${JSON.stringify(kind)} is not a session kind`);
    else if (!Number.isInteger(ms) || ms < 60_000) out.push(`provider ${p.providerId}: interimIntervalMs.${kind} must be an integer >= 60000 ms, got ${ms}`);
  }
  for (const [kind, ms] of Object.entries(p.maxSessionAgeMs ?? {})) {
    if (!isKind(kind)) out.push(`provider ${p.providerId}: maxSessionAgeMs key ${JSON.stringify(kind)} is not a session kind (${SessionKindSymbols.join(', ')})`);
    else if (!Number.isInteger(ms) || ms < 60_000) out.push(`provider ${p.providerId}: maxSessionAgeMs.${kind} must be an integer >= 60000 ms, got ${ms}`);
  }
  return out;
}

/** What an exporter logs (Provider.exporterKinds): flow records, NAT events, RADIUS accounting, VPN sessions. */
export const EXPORTER_KINDS = ['flow', 'nat', 'radius', 'vpn'] as const;

/** Checks a provider's exporterKinds (every value a known kind; a key naming no exporter of the
 *  provider is ignored: an upsert may replace the exporters and keep old kinds),
 *  natMappingTimeoutMs, delegatedPrefixLength and flowExportLagMs (integers 0..1 day). */
export function providerFieldProblems(p: Pick<Provider, 'providerId' | 'exporterKinds' | 'natMappingTimeoutMs' | 'delegatedPrefixLength'> & Partial<Pick<Provider, 'flowExportLagMs'>>): string[] {
  const out: string[] = [];
  for (const [e, k] of Object.entries(p.exporterKinds ?? {})) {
    if (!(EXPORTER_KINDS as readonly string[]).includes(k)) out.push(`provider ${p.providerId}: exporterKinds.${e} must be one of ${EXPORTER_KINDS.join(', ')}, got ${JSON.stringify(k)}`);
  }
  for (const [proto, ms] of Object.entries(p.natMappingTimeoutMs ?? {})) {
    if (!['TCP', 'UDP', 'ICMP'].includes(proto)) out.push(`provider ${p.providerId}: natMappingTimeoutMs key ${JSON.stringify(proto)} is not TCP, UDP or ICMP`);
    else if (!Number.isInteger(ms) || ms < 1000) out.push(`provider ${p.providerId}: natMappingTimeoutMs.${proto} must be an integer >= 1000 ms, got ${ms}`);
  }
  for (const [e, ms] of Object.entries(p.flowExportLagMs ?? {})) {
    if (!Number.isInteger(ms) || ms < 0 || ms > 86_400_000) out.push(`provider ${p.providerId}: flowExportLagMs.${e} must be an integer 0..86400000 ms, got ${ms}`);
  }
  const len = p.delegatedPrefixLength;
  if (len !== null && len !== undefined && !(Number.isInteger(len) && len >= 16 && len <= 128)) out.push(`provider ${p.providerId}: delegatedPrefixLength must be an integer 16..128, got ${len}`);
  return out;
}

function checkShape(p: Provider): void {
  const id = p?.providerId;
  if (typeof id !== 'string' || id === '' || id.includes('|')) throw configError(`provider ${JSON.stringify(id)}: providerId must be a non-empty string without "|"`);
  if (typeof p.jurisdiction !== 'string' || !/^[A-Z]{2}$/.test(p.jurisdiction)) {
    throw configError(`provider ${id}: jurisdiction ${JSON.stringify(p.jurisdiction)} is not ISO 3166-1 alpha-2`);
  }
  for (const f of ['prefixes', 'exporters', 'deterministicNat'] as const) {
    if (!Array.isArray(p[f])) throw configError(`provider ${id}: ${f} must be an array`);
  }
  if (p.maxSessionAgeMs === null || typeof p.maxSessionAgeMs !== 'object' || Array.isArray(p.maxSessionAgeMs)) {
    throw configError(`provider ${id}: maxSessionAgeMs must be an object of session kind -> ms`);
  }
  const ages = [...sessionAgeProblems(p), ...providerFieldProblems(p)];
  if (ages.length > 0) throw configError(ages.join('; '));
}

export function createProviderDirectory(initial: Provider[] = []): ProviderDirectory {
  const providers = new Map<string, Provider>();
  for (const p of initial) { const q = withDefaults(p); checkShape(q); providers.set(q.providerId, q); }
  let t = build(providers.values());

  function byAddress(addr: string, scopeProviderId: string | null = null): ProviderMatch | undefined {
    let b: AddressBits;
    try { b = addressBits(addr); } catch { return undefined; }
    if (isScopedAddress(b)) {
      const hit = scopeProviderId === null ? undefined : t.scoped.get(scopeProviderId)?.find((e) => prefixContains(e.p, addr));
      return hit && { provider: hit.provider, prefix: hit.prefix };
    }
    let e: Entry | undefined;
    if (b.family === 4) {
      const n = b.n;
      for (const len of t.v4Lengths) if ((e = t.v4.get(len)!.get(len === 0 ? 0 : (n & (0xffffffff << (32 - len))) >>> 0))) break;
    } else {
      const hex = b.hex;
      for (const len of t.v6Lengths) if ((e = t.v6.get(len)!.get(hexPrefix(hex, len)))) break;
    }
    return e && { provider: e.provider, prefix: e.prefix };
  }

  return {
    byAddress,
    byExporter: (id) => t.exporters.get(id),
    byId: (id) => providers.get(id),
    upsert(raw) {
      const p = withDefaults(raw);
      checkShape(p);
      const next = new Map(providers).set(p.providerId, p);
      t = build(next.values()); // throws before anything changes
      providers.set(p.providerId, p);
    },
    remove(id) {
      if (!providers.delete(id)) return;
      t = build(providers.values());
    },
    list: () => [...providers.values()],
    deterministicRuleFor(outsideAddr, time) {
      if (!isValidAddress(outsideAddr)) return undefined;
      for (const r of t.rules) {
        if (time < r.rule.validFrom || (r.rule.validTo !== null && time > r.rule.validTo)) continue;
        if (prefixContains(r.outside, outsideAddr)) return { provider: r.provider, rule: r.rule };
      }
      return undefined;
    },
  };
}

/** Reads a JSON array of Provider records (schemas/provider.avsc); deterministicNat, validTo
 *  and maxSessionAgeMs default as in the schema. Throws CT_CONFIG naming the file and entry. */
export function loadProvidersFile(path: string): Provider[] {
  let data: unknown;
  try { data = JSON.parse(readFileSync(path, 'utf8')); } catch (e) {
    throw configError(`provider registry file ${path} cannot be read as JSON: ${(e as Error).message}`, e);
  }
  if (!Array.isArray(data)) throw configError(`provider registry file ${path} must hold a JSON array of providers`);
  return data.map((raw: Provider, i) => {
    if (raw === null || typeof raw !== 'object') throw configError(`provider registry file ${path}: entry ${i} is not an object`);
    const p: Provider = {
      ...raw, deterministicNat: (raw.deterministicNat ?? []).map((r) => ({ ...r, validTo: r.validTo ?? null })), maxSessionAgeMs: raw.maxSessionAgeMs ?? {},
    };
    checkShape(p);
    return p;
  });
}
