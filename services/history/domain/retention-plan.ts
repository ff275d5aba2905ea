// How long the history store keeps records, per provider (data-retention law differs by
// jurisdiction and contract). Flow day partitions hold every provider's flows, so a partition is
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
