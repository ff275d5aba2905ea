// The provider registry in memory: who owns which prefixes (longest-prefix match, IPv4 and
// IPv6), which exporters, and which RFC 7422 deterministic NAT rules. Seeded from a file,
// updated live (provider-feed.ts). Lookups cost one map probe per distinct prefix length.
import { readFileSync } from 'node:fs';
import type { DeterministicNatRule, Provider } from '../../schemas/types.gen.ts';
import { canonicalAddress, familyOf, networkOf, parsePrefix, prefixContains } from './address.ts';
import { CrosstraceError } from './errors.ts';

export interface ProviderDirectory {
  byAddress(addr: string): { provider: Provider; prefix: string } | undefined;
  byExporter(exporterId: string): Provider | undefined;
  byId(providerId: string): Provider | undefined;
  upsert(p: Provider): void;
  remove(providerId: string): void;
  list(): Provider[];
  /** The deterministic NAT rule whose outside prefix holds `outsideAddr` at time t. */
  deterministicRuleFor(outsideAddr: string, t: number): { provider: Provider; rule: DeterministicNatRule } | undefined;
}

interface Entry { provider: Provider; prefix: string }

export function createProviderDirectory(initial: Provider[] = []): ProviderDirectory {
  const providers = new Map<string, Provider>();
  const exporters = new Map<string, Provider>();
  // family -> length -> network -> entry; lengths kept sorted longest first
  const tables = { 4: new Map<number, Map<string, Entry>>(), 6: new Map<number, Map<string, Entry>>() };
  const lengths: { 4: number[]; 6: number[] } = { 4: [], 6: [] };

  function rebuild(): void {
    exporters.clear();
    tables[4].clear(); tables[6].clear();
    for (const p of providers.values()) {
      for (const e of p.exporters) exporters.set(e, p);
      for (const cidr of p.prefixes) {
        const pf = parsePrefix(cidr);
        const t = tables[pf.family];
        if (!t.has(pf.length)) t.set(pf.length, new Map());
        t.get(pf.length)!.set(pf.network, { provider: p, prefix: `${pf.network}/${pf.length}` });
      }
    }
    lengths[4] = [...tables[4].keys()].sort((a, b) => b - a);
    lengths[6] = [...tables[6].keys()].sort((a, b) => b - a);
  }

  function validate(p: Provider): void {
    if (!/^[A-Z]{2}$/.test(p.jurisdiction)) throw new CrosstraceError('CT_CONFIG', `provider ${p.providerId}: jurisdiction ${JSON.stringify(p.jurisdiction)} is not ISO 3166-1 alpha-2`);
    for (const cidr of [...p.prefixes, ...p.deterministicNat.flatMap((r) => [r.insidePrefix, r.outsidePrefix])]) {
      try { parsePrefix(cidr); } catch (e) {
        throw new CrosstraceError('CT_INVALID_PREFIX', `provider ${p.providerId}: prefix ${JSON.stringify(cidr)} is invalid: ${(e as Error).message}`, { cause: e });
      }
    }
  }

  const dir: ProviderDirectory = {
    byAddress(addr) {
      let a: string;
      try { a = canonicalAddress(addr); } catch { return undefined; }
      const fam = familyOf(a);
      for (const len of lengths[fam]) {
        const hit = tables[fam].get(len)!.get(networkOf(a, len));
        if (hit) return hit;
      }
      return undefined;
    },
    byExporter: (id) => exporters.get(id),
    byId: (id) => providers.get(id),
    upsert(p) { validate(p); providers.set(p.providerId, p); rebuild(); },
    remove(id) { providers.delete(id); rebuild(); },
    list: () => [...providers.values()],
    deterministicRuleFor(outsideAddr, t) {
      for (const p of providers.values()) {
        for (const rule of p.deterministicNat) {
          if (t < rule.validFrom || (rule.validTo !== null && t > rule.validTo)) continue;
          if (prefixContains(rule.outsidePrefix, outsideAddr)) return { provider: p, rule };
        }
      }
      return undefined;
    },
  };
  for (const p of initial) validate(p);
  for (const p of initial) providers.set(p.providerId, p);
  rebuild();
  return dir;
}

/** Reads a JSON array of Provider records (schemas/provider.avsc). */
export function loadProvidersFile(path: string): Provider[] {
  let data: unknown;
  try { data = JSON.parse(readFileSync(path, 'utf8')); } catch (e) {
    throw new CrosstraceError('CT_CONFIG', `provider registry file ${path} cannot be read as JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!Array.isArray(data)) throw new CrosstraceError('CT_CONFIG', `provider registry file ${path} must hold a JSON array of providers`);
  return (data as Provider[]).map((p) => ({ ...p, deterministicNat: p.deterministicNat ?? [] }));
}
