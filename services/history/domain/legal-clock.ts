// The legal clock of a preservation order (Budapest Convention Art. 16(2): preserved "up to a
// maximum of ninety days", renewable; Art. 29(7): not less than sixty days on a partner's
// request). One period is at most 90 days; a renewal pushes the expiry to now + its days (never
// shortens it). Pure.

/** Art. 16(2): the longest period one order or renewal may ask for, days. */
export const PRESERVATION_MAX_DAYS = 90;
/** Art. 29(7): the shortest period a preservation on a partner's request lasts, days (the default). */
export const PRESERVATION_MIN_PARTNER_DAYS = 60;
/** The period an order is opened for when none is asked for, days. */
export const PRESERVATION_DEFAULT_DAYS = 90;

const DAY = 86_400_000;

/** A period the law does not allow; `code` is CT_LEGAL_PERIOD (services/common/errors.ts
 *  documents it; the kit's history half does not import the common half). Never retriable. */
export class LegalPeriodError extends Error {
  readonly code = 'CT_LEGAL_PERIOD';
  readonly retriable = false;
  readonly field = 'days';
}

/** Throws CT_LEGAL_PERIOD unless `days` is a whole number 1..90. */
export function checkPeriod(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > PRESERVATION_MAX_DAYS) {
    throw new LegalPeriodError(`a preservation period must be 1..${PRESERVATION_MAX_DAYS} whole days (Budapest Convention Art. 16(2); renew it for longer), got ${days}`);
  }
  return days;
}

/** The expiry after a period of `days` starting `now`, never before `current`. */
export function expiryAfter(now: number, days: number, current: number | null = null): number {
  return Math.max(current ?? -Infinity, now + checkPeriod(days) * DAY);
}

export type OrderClock =
  | { state: 'open'; remainingMs: number }
  | { state: 'expired'; sinceMs: number }
  | { state: 'released'; sinceMs: number };

/** Where an order stands at `now`: open with the time left, expired, or released. */
export function orderClock(o: { expiresAt: number; releasedAt: number | null }, now: number): OrderClock {
  if (o.releasedAt !== null) return { state: 'released', sinceMs: now - o.releasedAt };
  return o.expiresAt > now ? { state: 'open', remainingMs: o.expiresAt - now } : { state: 'expired', sinceMs: now - o.expiresAt };
}
