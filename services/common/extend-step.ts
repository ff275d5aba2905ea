// How far an EXTEND must move a trace's expiry to change it. Each change the tracer makes is a
// new signed update to every audience of the trace and an audit record kept forever, so an
// extension by a few milliseconds (a client retrying, or flooding) must change nothing: the
// gateway refuses it (409) and the tracer publishes nothing for it, and a chain rebuilt from
// trace.requests applies the same rule.

/** The smallest move of a trace's expiry an EXTEND makes, ms. */
export const MIN_EXTEND_STEP_MS = 60_000;

/** The expiry after an EXTEND asking for `requested` when the trace runs until `current`. */
export function extendedExpiry(current: number, requested: number): number {
  return requested >= current + MIN_EXTEND_STEP_MS ? requested : current;
}
