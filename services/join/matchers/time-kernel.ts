// Where in a lookup window the looked-up instant truly lies. Pure.
//
// A lookup window [from, to] is where the communication happened by the requester's (or the
// previous hop's) account; the exporters' clocks may be off by up to ±tol. The true instant
// is T = S + E with S uniform on [from, to] and E uniform on [-tol, tol] (a bound on clock
// error, no more known about it): the density of T is their convolution — a trapezoid over
// [from - tol, to + tol], a triangle when the window is an instant ± the same tolerance. So an
// error near 0 is more likely than one at the bound, and a session covering the observation
// itself but not the whole ±tolerance holds only part of the probability.
//
// For the first lookup (observation ± 2 s request tolerance, ±2 s clock tolerance: a
// triangle on ±4 s) a lone session is decisive (>= 0.9 of the mass) when it covers at least
// from 2.2 s before to 2.2 s after the observation; one that begins exactly at the
// observation holds 0.5.

/** P(from - tol <= T <= x) for the trapezoid above; a point window (to <= from) and tol = 0 are
 *  the limits (a uniform clock error, resp. a uniform window). */
export function windowCdf(from: number, to: number, tol: number): (x: number) => number {
  const len = Math.max(0, to - from);
  const c = (u: number) => (tol <= 0 ? (u >= 0 ? 1 : 0) : Math.min(1, Math.max(0, (u + tol) / (2 * tol))));
  // ∫_{-∞}^{u} c(v) dv
  const i = (u: number) => {
    if (tol <= 0) return Math.max(0, u);
    if (u <= -tol) return 0;
    if (u >= tol) return u;
    return ((u + tol) * (u + tol)) / (4 * tol);
  };
  if (len < 1) return (x) => c(x - from);
  return (x) => Math.min(1, Math.max(0, (i(x - from) - i(x - to)) / len));
}

/** Probability mass of the union of `segments` ([a, b] pairs, any order, may overlap). */
export function unionMass(segments: readonly (readonly [number, number])[], cdf: (x: number) => number): number {
  const sorted = segments.filter(([a, b]) => b >= a).map(([a, b]) => [a, b] as const).sort((x, y) => x[0] - y[0]);
  let mass = 0;
  let lo = -Infinity;
  let hi = -Infinity;
  for (const [a, b] of sorted) {
    if (a > hi) {
      if (hi > lo) mass += cdf(hi) - cdf(lo);
      lo = a;
      hi = b;
    } else hi = Math.max(hi, b);
  }
  if (hi > lo) mass += cdf(hi) - cdf(lo);
  return mass;
}
