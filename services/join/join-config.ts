// The join's settings, shared by the correlator (event side) and the tracer (lookup side):
// both must agree on them, so they are declared once and given each service's key prefix.
import { int, type FieldSpec } from '../common/config.ts';
import type { JoinSettings } from './join.ts';

type JoinKey<P extends string> = `${P}RETENTION_MS` | `${P}MAX_SESSION_AGE_MS` | `${P}MAX_FLOW_AGE_MS` | `${P}CLOCK_TOLERANCE_MS` | `${P}WINDOW_READ_LIMIT`;
const DAY = 86_400_000;

/** Config fields of the join under a service's prefix (e.g. CROSSTRACE_TRACER_). */
export function joinSpec<P extends string>(p: P): Record<JoinKey<P>, FieldSpec<number>> {
  return {
    [`${p}RETENTION_MS`]: int('How long indexed flow records stay in a window unless pinned (correlator and tracer must agree); session records stay for MAX_SESSION_AGE_MS, ms.', DAY, 60_000, 30 * DAY),
    [`${p}MAX_SESSION_AGE_MS`]: int('Ceiling of the per-provider maximum session ages (deploy/providers.json maxSessionAgeMs; method defaults 14 d access/port block, 7 d VPN, 6 h NAT): how long a session with a lost stop counts as open at most, how far back a session lookup reads, and how long windows keep session records, ms.', 14 * DAY, 60_000, 30 * DAY),
    [`${p}MAX_FLOW_AGE_MS`]: int('Longest flow relay timing looks back over, ms.', 21_600_000, 60_000, 7 * DAY),
    [`${p}CLOCK_TOLERANCE_MS`]: int('Residual exporter clock error allowed in matches, ms.', 2_000, 0, 600_000),
    [`${p}WINDOW_READ_LIMIT`]: int('Most events a window read takes from the lookup window itself, and again from each side of it (nearest first).', 4_000, 100, 100_000),
  } as Record<JoinKey<P>, FieldSpec<number>>;
}

/** The parsed join settings and window retention of a service's config. */
export function joinSettingsOf<P extends string>(cfg: Readonly<Record<JoinKey<P>, number>>, p: P): { settings: JoinSettings; retentionMs: number } {
  return {
    retentionMs: cfg[`${p}RETENTION_MS`],
    settings: {
      maxSessionAgeMs: cfg[`${p}MAX_SESSION_AGE_MS`], clockToleranceMs: cfg[`${p}CLOCK_TOLERANCE_MS`],
      maxFlowAgeMs: cfg[`${p}MAX_FLOW_AGE_MS`], windowReadLimit: cfg[`${p}WINDOW_READ_LIMIT`],
    },
  };
}
