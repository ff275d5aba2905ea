// Shape and defaults of a scenario file as a zod schema (scenario.ts documents every field;
// the parse result is checked against those types). Unknown keys are problems: a typo must not
// fall back to a default. References to the provider registry and rules across fields are
// checked in scenario-validate.ts. Every problem is reported at once as `key.path: message`
// (`attacks[0].relay.vpn: ...`). Pure.
import * as z from 'zod';
import { LegalBasisSymbols } from '../../schemas/types.gen.ts';
import { CHAIN_STEPS, type ExporterSettings, type Scenario } from './scenario.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export const EXPORTER_DEFAULTS: ExporterSettings = Object.freeze({
  clockSkewMs: 0, exportDelayMs: [50, 500] as const, activeTimeoutMs: 10_000, idleTimeoutMs: 15_000,
});

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** A number in [min, max] (a whole one when `int`). */
function num(min: number, max: number, int = false) {
  return z.number({ error: (i) => (i.input === undefined ? 'is required' : `must be ${int ? 'a whole number' : 'a number'}, got ${show(i.input)}`) })
    .superRefine((v, ctx) => {
      if (int && !Number.isInteger(v)) ctx.addIssue({ code: 'custom', message: `must be a whole number, got ${v}` });
      else if (v < min || v > max) ctx.addIssue({ code: 'custom', message: `must be between ${min} and ${max}, got ${v}` });
    });
}
const int = (min: number, max: number) => num(min, max, true);
const str = () => z.string({ error: (i) => (i.input === undefined ? 'is required' : `must be a non-empty string, got ${show(i.input)}`) })
  .min(1, { error: 'must be a non-empty string, got ""' });
const optStr = () => str().nullable().default(null);
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (i) => (i.input === undefined ? 'is required' : `must be one of ${values.join(', ')}, got ${show(i.input)}`) });
/** [lo, hi] with min <= lo <= hi <= max. */
const span = (min: number, max: number) =>
  z.tuple([z.number(), z.number()], { error: (i) => `must be [min, max], got ${show(i.input)}` })
    .superRefine(([lo, hi], ctx) => {
      if (lo > hi) ctx.addIssue({ code: 'custom', message: `min ${lo} is above max ${hi}` });
      if (lo < min || hi > max) ctx.addIssue({ code: 'custom', message: `must lie within ${min}..${max}, got [${lo}, ${hi}]` });
    });
const obj = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.strictObject(shape, { error: (i) => (i.code === 'invalid_type' ? (i.input === undefined ? 'is required' : `must be an object, got ${show(i.input)}`) : undefined) });
/** A list of the `T`s; nothing given is []. */
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: (i) => `must be a list, got ${show(i.input)}` });

const exporter = {
  clockSkewMs: int(-HOUR, HOUR), exportDelayMs: span(0, 600_000), activeTimeoutMs: int(500, HOUR), idleTimeoutMs: int(500, HOUR),
};
const exporterDefaults = obj({
  clockSkewMs: exporter.clockSkewMs.default(EXPORTER_DEFAULTS.clockSkewMs),
  exportDelayMs: exporter.exportDelayMs.default([...EXPORTER_DEFAULTS.exportDelayMs]),
  activeTimeoutMs: exporter.activeTimeoutMs.default(EXPORTER_DEFAULTS.activeTimeoutMs),
  idleTimeoutMs: exporter.idleTimeoutMs.default(EXPORTER_DEFAULTS.idleTimeoutMs),
});
/** Per-exporter overrides: only the keys given (the rest come from exporterDefaults). */
const exporterOverrides = obj({
  clockSkewMs: exporter.clockSkewMs.optional(), exportDelayMs: exporter.exportDelayMs.optional(),
  activeTimeoutMs: exporter.activeTimeoutMs.optional(), idleTimeoutMs: exporter.idleTimeoutMs.optional(),
});

const nat = z.discriminatedUnion('mode', [
  obj({ mode: z.literal('deterministic') }),
  obj({
    mode: z.literal('port-block'), exporter: str(), outsidePrefix: str(), outsideAddresses: int(0, 65_536).default(0),
    blockSize: int(8, 32_768).default(512), firstPort: int(1, 65_000).default(1024), extraBlockProbability: num(0, 1).default(0.1),
  }),
], { error: (i) => `must be one of port-block, deterministic, got ${show((i.input as { mode?: unknown } | undefined)?.mode)}` });

const role = z.discriminatedUnion('role', [
  obj({
    role: z.literal('access'), subscribers: int(1, 1_000_000).default(200), aaaExporter: str(), flowExporter: optStr(), framedPrefix: str(),
    ipv6: obj({ poolPrefix: str(), share: num(0, 1).default(1) }).nullable().default(null), nat: nat.nullable().default(null),
    acctDelayProbability: num(0, 1).default(0.2), acctDelaySeconds: span(1, 3600).default([1, 8]),
  }),
  obj({
    role: z.literal('vpn'), exporter: str(), flowExporter: optStr(), exitPrefix: str(), exitAddresses: int(1, 4096).default(4),
    gatewayAddr: optStr(), clients: int(1, 1_000_000).default(50), clientsFrom: list(str()), mappingsPerMinute: num(0, 1_000_000).default(60),
  }),
  obj({ role: z.literal('hosting'), flowExporter: str(), serverPrefix: str(), servers: int(1, 65_536).default(8) }),
], { error: (i) => `must be one of access, vpn, hosting, got ${show((i.input as { role?: unknown } | undefined)?.role)}` });

const p01 = (def: number) => num(0, 1).default(def);
const background = obj({
  eventsPerSecond: num(0, 1_000_000).default(500), longFlowShare: p01(0.3), historyMs: int(0, 20 * HOUR).default(2 * HOUR),
  acctInterimIntervalMs: int(10_000, DAY).default(300_000), sessionChurnPerHour: num(0, 3600).default(0.5),
  addressChangeProbability: p01(0.5), missingLogProbability: p01(0.01), lostStopProbability: p01(0.05), lateStopProbability: p01(0.1),
  lateStopDelayMs: int(0, HOUR).default(30_000), badEventProbability: p01(0),
  elsewhere: list(str()).default(['2001:db8:f000::/36', '7.0.0.0/8']), flowWeights: z.record(z.string(), num(0, 1e9)).nullable().default(null),
});

const attack = obj({
  name: str(),
  victim: obj({ provider: str(), server: int(0, 65_535).default(0), port: int(1, 65_535).default(443) }),
  entry: str(),
  relay: obj({
    vpn: str(), origin: str(), originIpv6: z.boolean({ error: (i) => `must be true or false, got ${show(i.input)}` }).default(false),
    concurrentInbound: int(0, 10_000).default(40), relayPort: int(1, 65_535).default(1080),
  }).nullable().default(null),
  startOffsetMs: int(0, DAY).default(15_000), durationMs: int(10_000, DAY).default(180_000),
  observeAfterMs: int(0, DAY).default(10_000), sessionTailMs: int(0, DAY).default(60_000),
  sessionsStartedBeforeMs: int(0, 30 * DAY).nullable().default(null),
  trace: obj({
    openAfterMs: int(0, DAY).default(25_000), toleranceMs: int(0, HOUR).default(5_000),
    legalBasis: oneOf(LegalBasisSymbols).default('ART33_REALTIME_TRAFFIC'), caseReference: optStr(), expiresAfterMs: int(60_000, 30 * DAY).default(HOUR),
  }).prefault({}),
  withhold: obj(Object.fromEntries(CHAIN_STEPS.map((s) => [s, int(0, DAY).optional()]))).prefault({}),
  decoys: oneOf(['none', 'resolvable', 'lost-stops'] as const).default('resolvable'),
});

const scenario = obj({
  name: str(), description: z.string().default(''), seed: int(0, 2 ** 32 - 1), durationMs: int(1_000, 30 * DAY).default(300_000),
  providers: z.record(z.string(), role, { error: (i) => (i.input === undefined ? 'is required' : `must be an object, got ${show(i.input)}`) }),
  exporterDefaults: exporterDefaults.prefault({}), exporters: z.record(z.string(), exporterOverrides).default({}),
  background: background.prefault({}), attacks: list(attack).default([]),
});

/** `attacks[0].relay.vpn` from zod's ['attacks', 0, 'relay', 'vpn']. */
export function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc === '' ? String(k) : `${acc}.${String(k)}`), '');
}

/** The scenario with defaults applied, or every shape problem as `key.path: message`. */
export function parseScenario(raw: unknown): { scenario: Scenario; problems: [] } | { scenario: null; problems: string[] } {
  const r = scenario.safeParse(raw);
  if (r.success) return { scenario: r.data, problems: [] };
  const problems = r.error.issues.flatMap((i) => (i.code === 'unrecognized_keys'
    ? i.keys.map((k) => `${keyPath([...i.path, k])}: is not a field here`)
    : [`${keyPath(i.path) || '(top level)'}: ${i.message}`]));
  return { scenario: null, problems };
}
