// How long the history store keeps records, per provider (data-retention law differs by
// jurisdiction and contract): `retentionDays` of each provider in the registry
// (deploy/providers.json), overridden per provider by a `providerId:days,...` setting. Flow day partitions hold every provider's flows, so a partition is
// dropped only once the longest retention has passed; sessions carry their provider and are
// swept each by its own. Pure.
export const DEFAULT_RETENTION_DAYS = 180;

export interface RetentionPlan {
  /** Days after which a whole flow day partition goes: the longest retention of any provider. */
  flowDays: number;
  /** Days per provider id for sessions; providers not named get `defaultDays`. */
  sessionDays: ReadonlyMap<string, number>;
  defaultDays: number;
}

/** `spec` is `providerId:days,...` (e.g. `fr-telecom:365,de-vpn:90`); '' = every provider the default. */
export function parseRetention(spec: string, defaultDays = DEFAULT_RETENTION_DAYS): RetentionPlan {
  const sessionDays = new Map<string, number>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9._-]+):(\d{1,5})$/.exec(part);
    if (!m || Number(m[2]) < 1) throw new Error(`retention entry "${part}" must be providerId:days (days >= 1)`);
    sessionDays.set(m[1]!, Number(m[2]));
  }
  return { flowDays: Math.max(defaultDays, ...sessionDays.values()), sessionDays, defaultDays };
}

/** A provider registry entry as far as retention goes (retentionDays is optional there). */
export interface RetentionEntry { providerId: string; retentionDays?: unknown }

/** The plan from the provider registry: each provider's `retentionDays` (whole days >= 1;
 *  absent = `defaultDays`), then the `providerId:days` overrides of `spec` on top. Throws
 *  naming the provider when a registry value is not a whole number of days. */
export function retentionPlanOf(providers: readonly RetentionEntry[], spec = '', defaultDays = DEFAULT_RETENTION_DAYS): RetentionPlan {
  const sessionDays = new Map<string, number>();
  for (const p of providers) {
    if (p.retentionDays === undefined) continue;
    const d = p.retentionDays;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 36_500) {
      throw new Error(`provider ${p.providerId}: retentionDays must be a whole number of days 1..36500, got ${JSON.stringify(d)}`);
    }
    sessionDays.set(p.providerId, d);
  }
  for (const [id, d] of parseRetention(spec, defaultDays).sessionDays) sessionDays.set(id, d);
  return { flowDays: Math.max(defaultDays, ...sessionDays.values()), sessionDays, defaultDays };
}
