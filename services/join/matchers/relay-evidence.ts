// Relay (stepping-stone) evidence terms: each a natural-log likelihood ratio
// ln p(x | H1: the inbound flow feeds the outbound one) - ln p(x | H0: an unrelated flow that
// happens to overlap it), in nats. Densities are broad, with heavy-tailed H1 components, so
// one odd feature costs a few nats, not the match. Pure math, no I/O.

/** Time scale of "long before / long after", ms: the H0 spread of unrelated starts and ends. */
const HORIZON_MS = 120_000;
/** Smoothing of the alignment plateaus (relay latency jitter), ms. */
export const EDGE_SD_MS = 50;
/** Below this many compared windows the activity correlation says nothing. */
const MIN_WINDOWS = 4;
/** Cap on any single feature, nats: keeps one pathological series from deciding alone. */
const MAX_FEATURE = 60;

const SQRT2PI = Math.sqrt(2 * Math.PI);
const normPdf = (x: number, mu: number, sd: number): number =>
  Math.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * SQRT2PI);

/** Standard normal CDF (Abramowitz-Stegun 7.1.26, |error| < 1.5e-7). */
function normCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Density of U[lo, hi] convolved with N(0, sd). */
const plateau = (x: number, lo: number, hi: number, sd: number): number =>
  Math.max(0, normCdf((x - lo) / sd) - normCdf((x - hi) / sd)) / (hi - lo);
const expo = (x: number, mean: number): number => (x > 0 ? Math.exp(-x / mean) / mean : 0);
const uniformNeg = (x: number, width: number): number => (x <= 0 && x >= -width ? 1 / width : 0);
const clampFeature = (v: number): number => Math.max(-MAX_FEATURE, Math.min(MAX_FEATURE, v));

/**
 * Alignment of two instants. x > 0 means the inbound outlives the outbound on that side
 * (starts earlier / ends later). H1: within [lo, hi] (relay latency + clock skew), or on the
 * compatible side at any distance (a login session that opens the onward connection later),
 * rarely on the wrong side. H0: anywhere over the flows' overlap or the horizon, or as dense
 * as the other candidates actually crowd there (`crowd`, per ms: parallel connections, mass
 * disconnects), whichever is denser.
 */
export function alignmentLlr(x: number, lo: number, hi: number, spanMs: number, crowd = 0): number {
  const width = Math.max(spanMs, 1_000);
  const h1 = 0.7 * plateau(x, lo, hi, EDGE_SD_MS) + 0.28 * expo(x, HORIZON_MS) + 0.02 * uniformNeg(x, width);
  const h0 = Math.max(crowd, 0.5 * expo(x, HORIZON_MS) + 0.5 * uniformNeg(x, width));
  if (h0 <= 0) return h1 > 0 ? MAX_FEATURE : 0;
  return clampFeature(Math.log(Math.max(h1, 1e-300) / h0));
}

/**
 * Log ratio of the two volumes over the compared windows. H1: close to 1 (tunnel overhead,
 * re-segmentation), sometimes further (compression, other traffic multiplexed on the inbound
 * connection), with a floor: a mismatch costs at most ln(1/0.05) = 3 nats. H0: spread over decades.
 */
export function ratioLlr(outVolume: number, inVolume: number, h1Sd: number): number {
  if (outVolume <= 0 || inVolume <= 0) return 0;
  const r = Math.log(outVolume / inVolume);
  const h1 = 0.6 * normPdf(r, 0, h1Sd) + 0.35 * normPdf(r, 0, 4 * h1Sd) + 0.05 * normPdf(r, 0, 2.5);
  return clampFeature(Math.log(h1 / normPdf(r, 0, 2.5)));
}

/**
 * For each value, the density of the OTHER values within +-halfWidth of it, per unit and per
 * value: (count - 1) / (2 halfWidth n). Feeds the crowding term of alignmentLlr.
 */
export function crowding(values: readonly number[], halfWidth: number): number[] {
  const sorted = Float64Array.from(values).sort();
  const rank = (x: number, inclusive: boolean): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < x || (inclusive && sorted[mid]! === x)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return values.map((v) => (rank(v + halfWidth, true) - rank(v - halfWidth, false) - 1) / (2 * halfWidth * values.length));
}

/** ln density of Student's t with 10 degrees of freedom, scaled by `scale`. */
function lnT10(x: number, scale: number): number {
  const u = x / scale;
  return -0.9427 - 5.5 * Math.log1p((u * u) / 10) - Math.log(scale);
}

/**
 * Activity correlation over n compared windows, in Fisher space z = atanh(rho).
 * H0: z * sqrt(n - 3) ~ 1.1 * t(10): Fisher's N(0, 1) widened to the tails measured on
 * unrelated bursty flows (the series are not Gaussian, and the best of several lags is kept),
 * times the number of effectively distinct lags tried. H1: the relay's true z is high (mostly
 * ~N(2.1, 0.5), rho ~0.97; sometimes ~N(1.0, 0.35), rho ~0.76, when coarse active timeouts or
 * re-segmentation smear it), observed with Fisher's sampling noise 1/sqrt(n - 3): the more
 * windows, the less a weak correlation is excused.
 */
export function activityLlr(rho: number, n: number, lags: number): number {
  if (!Number.isFinite(rho) || n < MIN_WINDOWS) return 0;
  const z = Math.atanh(Math.max(-0.995, Math.min(0.995, rho)));
  const noise = 1 / (n - 3);
  const h1 = 0.85 * normPdf(z, 2.1, Math.sqrt(0.25 + noise)) + 0.15 * normPdf(z, 1, Math.sqrt(0.1225 + noise));
  const root = Math.sqrt(n - 3);
  const lnH0 = lnT10(z * root, 1.1) + Math.log(root) + Math.log(lags);
  return clampFeature(Math.log(Math.max(h1, 1e-300)) - lnH0);
}
