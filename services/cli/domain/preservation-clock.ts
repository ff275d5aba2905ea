// One line on a preservation order's legal clock for `crosstrace preserve` (the gateway's order
// JSON): open with the time left until it expires, expired, or released. Pure.
import { orderClock } from '../../history/domain/legal-clock.ts';
import { duration } from './render.ts';

export interface OrderJson {
  traceId: string; expiresAt: number; releasedAt: number | null;
  preserved?: { flows: number; sessions: number };
}

export function orderClockLine(o: OrderJson, now: number): string {
  const c = orderClock(o, now);
  const held = o.preserved ? `${o.preserved.sessions} session and ${o.preserved.flows} flow records` : 'its records';
  const until = new Date(o.expiresAt).toISOString();
  if (c.state === 'open') return `preservation of trace ${o.traceId}: ${held} kept until ${until} (${duration(c.remainingMs)} left; renew with: crosstrace preserve extend ${o.traceId} --days N, N <= 90)`;
  if (c.state === 'expired') return `preservation of trace ${o.traceId}: EXPIRED ${duration(c.sinceMs)} ago (${until}); the next retention run lets go of ${held}`;
  return `preservation of trace ${o.traceId}: released ${duration(c.sinceMs)} ago; the next retention run lets go of ${held}`;
}
