// Shape and defaults of a scenario file (scenario.ts documents every field). References to
// the provider registry and multi-field rules are checked in scenario-validate.ts. Pure.
import { LegalBasisSymbols } from '../../schemas/types.gen.ts';
import type { JsonReader, Obj } from './json-reader.ts';
import {
  CHAIN_STEPS, type AccessRole, type AttackSettings, type BackgroundSettings, type ExporterSettings, type ProviderRole, type Scenario,
} from './scenario.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export const EXPORTER_DEFAULTS: ExporterSettings = Object.freeze({
  clockSkewMs: 0, exportDelayMs: [50, 500] as const, activeTimeoutMs: 10_000, idleTimeoutMs: 15_000,
});

function exporterSettings(r: JsonReader, v: unknown, path: string, base: ExporterSettings, partial: boolean): Partial<ExporterSettings> {
  const o = r.obj(v, path, ['clockSkewMs', 'exportDelayMs', 'activeTimeoutMs', 'idleTimeoutMs']);
  if (!o) return {};
  const out: Partial<ExporterSettings> = {};
  if (!partial || o.clockSkewMs !== undefined) out.clockSkewMs = r.num(o, 'clockSkewMs', path, base.clockSkewMs, -HOUR, HOUR, true);
  if (!partial || o.exportDelayMs !== undefined) out.exportDelayMs = r.span(o, 'exportDelayMs', path, base.exportDelayMs, 0, 600_000);
  if (!partial || o.activeTimeoutMs !== undefined) out.activeTimeoutMs = r.num(o, 'activeTimeoutMs', path, base.activeTimeoutMs, 500, HOUR, true);
  if (!partial || o.idleTimeoutMs !== undefined) out.idleTimeoutMs = r.num(o, 'idleTimeoutMs', path, base.idleTimeoutMs, 500, HOUR, true);
  return out;
}

function role(r: JsonReader, v: unknown, path: string): ProviderRole | null {
  const kind = v !== null && typeof v === 'object' ? (v as Obj).role : undefined;
  if (kind === 'access') {
    const o = r.obj(v, path, ['role', 'subscribers', 'aaaExporter', 'flowExporter', 'framedPrefix', 'ipv6', 'nat', 'acctDelayProbability', 'acctDelaySeconds']);
    if (!o) return null;
    let ipv6: { poolPrefix: string; share: number } | null = null;
    if (o.ipv6 !== undefined && o.ipv6 !== null) {
      const p = r.obj(o.ipv6, `${path}.ipv6`, ['poolPrefix', 'share']);
      if (p) ipv6 = { poolPrefix: r.str(p, 'poolPrefix', `${path}.ipv6`), share: r.num(p, 'share', `${path}.ipv6`, 1, 0, 1) };
    }
    let nat: AccessRole['nat'] = null;
    if (o.nat !== undefined && o.nat !== null) {
      const np = `${path}.nat`;
      const mode = (o.nat as Obj).mode;
      if (mode === 'deterministic') {
        if (r.obj(o.nat, np, ['mode'])) nat = { mode: 'deterministic' };
      } else {
        const n = r.obj(o.nat, np, ['mode', 'exporter', 'outsidePrefix', 'outsideAddresses', 'blockSize', 'firstPort', 'extraBlockProbability']);
        if (n) {
          r.oneOf(n, 'mode', np, ['port-block', 'deterministic'] as const);
          nat = {
            mode: 'port-block', exporter: r.str(n, 'exporter', np), outsidePrefix: r.str(n, 'outsidePrefix', np),
            outsideAddresses: r.num(n, 'outsideAddresses', np, 0, 0, 65_536, true), blockSize: r.num(n, 'blockSize', np, 512, 8, 32_768, true),
            firstPort: r.num(n, 'firstPort', np, 1024, 1, 65_000, true), extraBlockProbability: r.num(n, 'extraBlockProbability', np, 0.1, 0, 1),
          };
        }
      }
    }
    return {
      role: 'access', subscribers: r.num(o, 'subscribers', path, 200, 1, 1_000_000, true), aaaExporter: r.str(o, 'aaaExporter', path),
      flowExporter: r.optStr(o, 'flowExporter', path), framedPrefix: r.str(o, 'framedPrefix', path), ipv6, nat,
      acctDelayProbability: r.num(o, 'acctDelayProbability', path, 0.2, 0, 1), acctDelaySeconds: r.span(o, 'acctDelaySeconds', path, [1, 8], 1, 3600),
    };
  }
  if (kind === 'vpn') {
    const o = r.obj(v, path, ['role', 'exporter', 'flowExporter', 'exitPrefix', 'exitAddresses', 'gatewayAddr', 'clients', 'clientsFrom', 'mappingsPerMinute']);
    if (!o) return null;
    return {
      role: 'vpn', exporter: r.str(o, 'exporter', path), flowExporter: r.optStr(o, 'flowExporter', path), exitPrefix: r.str(o, 'exitPrefix', path),
      exitAddresses: r.num(o, 'exitAddresses', path, 4, 1, 4096, true), gatewayAddr: r.optStr(o, 'gatewayAddr', path),
      clients: r.num(o, 'clients', path, 50, 1, 1_000_000, true), clientsFrom: r.strList(o, 'clientsFrom', path),
      mappingsPerMinute: r.num(o, 'mappingsPerMinute', path, 60, 0, 1_000_000),
    };
  }
  if (kind === 'hosting') {
    const o = r.obj(v, path, ['role', 'flowExporter', 'serverPrefix', 'servers']);
    if (!o) return null;
    return { role: 'hosting', flowExporter: r.str(o, 'flowExporter', path), serverPrefix: r.str(o, 'serverPrefix', path), servers: r.num(o, 'servers', path, 8, 1, 65_536, true) };
  }
  r.problem(`${path}.role`, `must be one of access, vpn, hosting, got ${JSON.stringify(kind)}`);
  return null;
}

function background(r: JsonReader, v: unknown, path: string): BackgroundSettings {
  const o = r.obj(v ?? {}, path, ['eventsPerSecond', 'longFlowShare', 'historyMs', 'acctInterimIntervalMs', 'sessionChurnPerHour', 'addressChangeProbability',
    'missingLogProbability', 'lostStopProbability', 'lateStopProbability', 'lateStopDelayMs', 'badEventProbability', 'elsewhere', 'flowWeights']) ?? {};
  const p = (key: string, def: number) => r.num(o, key, path, def, 0, 1);
  let flowWeights: Record<string, number> | null = null;
  if (o.flowWeights !== undefined && o.flowWeights !== null) {
    const w = r.obj(o.flowWeights, `${path}.flowWeights`, Object.keys(o.flowWeights as Obj)) ?? {};
    flowWeights = Object.fromEntries(Object.keys(w).map((k) => [k, r.num(w, k, `${path}.flowWeights`, undefined, 0, 1e9)]));
  }
  return {
    eventsPerSecond: r.num(o, 'eventsPerSecond', path, 500, 0, 1_000_000), longFlowShare: p('longFlowShare', 0.3),
    historyMs: r.num(o, 'historyMs', path, 2 * HOUR, 0, 20 * HOUR, true), acctInterimIntervalMs: r.num(o, 'acctInterimIntervalMs', path, 300_000, 10_000, DAY, true),
    sessionChurnPerHour: r.num(o, 'sessionChurnPerHour', path, 0.5, 0, 3600), addressChangeProbability: p('addressChangeProbability', 0.5),
    missingLogProbability: p('missingLogProbability', 0.01), lostStopProbability: p('lostStopProbability', 0.05),
    lateStopProbability: p('lateStopProbability', 0.1), lateStopDelayMs: r.num(o, 'lateStopDelayMs', path, 30_000, 0, HOUR, true),
    badEventProbability: p('badEventProbability', 0), elsewhere: r.strList(o, 'elsewhere', path, ['2001:db8:f000::/36', '7.0.0.0/8']), flowWeights,
  };
}

function attack(r: JsonReader, v: unknown, path: string): AttackSettings | null {
  const o = r.obj(v, path, ['name', 'victim', 'entry', 'relay', 'startOffsetMs', 'durationMs', 'observeAfterMs', 'sessionTailMs', 'trace', 'withhold', 'decoys']);
  if (!o) return null;
  const vo = r.obj(o.victim, `${path}.victim`, ['provider', 'server', 'port']) ?? {};
  let relay: AttackSettings['relay'] = null;
  if (o.relay !== undefined && o.relay !== null) {
    const rp = `${path}.relay`;
    const ro = r.obj(o.relay, rp, ['vpn', 'origin', 'originIpv6', 'concurrentInbound', 'relayPort']) ?? {};
    relay = { vpn: r.str(ro, 'vpn', rp), origin: r.str(ro, 'origin', rp), originIpv6: r.bool(ro, 'originIpv6', rp, false),
      concurrentInbound: r.num(ro, 'concurrentInbound', rp, 40, 0, 10_000, true), relayPort: r.num(ro, 'relayPort', rp, 1080, 1, 65_535, true) };
  }
  const tp = `${path}.trace`;
  const to = r.obj(o.trace ?? {}, tp, ['openAfterMs', 'toleranceMs', 'legalBasis', 'caseReference', 'expiresAfterMs']) ?? {};
  const wo = r.obj(o.withhold ?? {}, `${path}.withhold`, CHAIN_STEPS) ?? {};
  return {
    name: r.str(o, 'name', path),
    victim: { provider: r.str(vo, 'provider', `${path}.victim`), server: r.num(vo, 'server', `${path}.victim`, 0, 0, 65_535, true), port: r.num(vo, 'port', `${path}.victim`, 443, 1, 65_535, true) },
    entry: r.str(o, 'entry', path), relay,
    startOffsetMs: r.num(o, 'startOffsetMs', path, 15_000, 0, DAY, true), durationMs: r.num(o, 'durationMs', path, 180_000, 10_000, DAY, true),
    observeAfterMs: r.num(o, 'observeAfterMs', path, 10_000, 0, DAY, true), sessionTailMs: r.num(o, 'sessionTailMs', path, 60_000, 0, DAY, true),
    trace: {
      openAfterMs: r.num(to, 'openAfterMs', tp, 25_000, 0, DAY, true), toleranceMs: r.num(to, 'toleranceMs', tp, 5_000, 0, HOUR, true),
      legalBasis: r.oneOf(to, 'legalBasis', tp, LegalBasisSymbols, 'ART33_REALTIME_TRAFFIC'), caseReference: r.optStr(to, 'caseReference', tp),
      expiresAfterMs: r.num(to, 'expiresAfterMs', tp, HOUR, 60_000, 30 * DAY, true),
    },
    withhold: Object.fromEntries(Object.keys(wo).map((k) => [k, r.num(wo, k, `${path}.withhold`, undefined, 0, DAY, true)])),
    decoys: r.oneOf(o, 'decoys', path, ['none', 'resolvable', 'lost-stops'] as const, 'resolvable'),
  };
}

/** The scenario with defaults applied; problems land in r.problems. */
export function parseScenario(r: JsonReader, raw: unknown): Scenario {
  const o = r.obj(raw, '', ['name', 'description', 'seed', 'durationMs', 'providers', 'exporterDefaults', 'exporters', 'background', 'attacks']) ?? {};
  const exporterDefaults = { ...EXPORTER_DEFAULTS, ...exporterSettings(r, o.exporterDefaults ?? {}, 'exporterDefaults', EXPORTER_DEFAULTS, false) } as ExporterSettings;
  const eo = r.obj(o.exporters ?? {}, 'exporters', Object.keys((o.exporters ?? {}) as Obj)) ?? {};
  const po = r.obj(o.providers, 'providers', Object.keys((o.providers ?? {}) as Obj)) ?? {};
  const providers: Record<string, ProviderRole> = {};
  for (const [id, v] of Object.entries(po)) { const role_ = role(r, v, `providers.${id}`); if (role_) providers[id] = role_; }
  const attacks: AttackSettings[] = [];
  if (!Array.isArray(o.attacks)) { if (o.attacks !== undefined) r.problem('attacks', 'must be a list'); } else {
    o.attacks.forEach((a, i) => { const at = attack(r, a, `attacks[${i}]`); if (at) attacks.push(at); });
  }
  return {
    name: r.str(o, 'name', ''), description: typeof o.description === 'string' ? o.description : '',
    seed: r.num(o, 'seed', '', undefined, 0, 2 ** 32 - 1, true), durationMs: r.num(o, 'durationMs', '', 300_000, 1_000, 30 * DAY, true),
    providers, exporterDefaults,
    exporters: Object.fromEntries(Object.entries(eo).map(([id, v]) => [id, exporterSettings(r, v, `exporters.${id}`, exporterDefaults, true)])),
    background: background(r, o.background, 'background'), attacks,
  };
}
