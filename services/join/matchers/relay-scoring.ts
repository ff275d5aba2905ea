// Score of one (outbound, inbound) flow pair: compare their activity, then sum the evidence
// terms of relay-evidence.ts. The sum is naive Bayes (the terms overlap: bytes vs packets,
// start vs end), which relay-timing.ts corrects for when it turns scores into confidences.
// Pure, no I/O.
import type { FlowSeries } from './flow-series.ts';
import { project, recordWindows, type Windows } from './flow-windows.ts';
import { activityLlr, alignmentLlr, EDGE_SD_MS, ratioLlr } from './relay-evidence.ts';

/** Per-feature log likelihood ratios (nats) and what they were computed from. */
export interface PairScore {
  score: number;
  start: number;
  end: number;
  bytes: number;
  packets: number;
  activity: number;
  /** Correlation of sqrt(octets) per window at the best lag; NaN when undefined. */
  rho: number;
  /** Added to the inbound's times to line them up with the outbound's at the best lag, ms. */
  lagMs: number;
  /** Windows compared. */
  windows: number;
}

/** What scorePair needs besides the two flows; times in ms. */
export interface PairContext {
  binMs: number;
  maxStartLeadMs: number;
  /** Density of the other candidates' starts / ends around this one's, per ms (crowding()). */
  startCrowd: number;
  endCrowd: number;
  /** Residual clock error between the two flows' exporters (0 for one exporter), ms. */
  skewMs: number;
}

/** The outbound flow prepared once and shared by all its candidates. */
export interface OutboundView {
  out: FlowSeries;
  windows: Windows;
}

export function outboundView(out: FlowSeries, binMs: number): OutboundView {
  return { out, windows: recordWindows(out, binMs) };
}

/**
 * Activity comparison. The common grid is the coarser exporter's own record windows (its
 * measurement is the bottleneck); the finer flow's records are projected onto them, shifted
 * by each lag the clock skew allows, and sqrt(octets) are correlated (sqrt tames heavy-tailed
 * bursts; silence on both sides is agreement). Volumes for the ratios come from the same
 * windows at the best lag.
 */
function compare(view: OutboundView, cand: FlowSeries, binMs: number, skewMs: number): Activity {
  const { out } = view;
  const outCoarse = out.typicalIntervalMs >= cand.typicalIntervalMs;
  const coarse = outCoarse ? out : cand;
  const fine = outCoarse ? cand : out;
  const w = outCoarse ? view.windows : recordWindows(cand, binMs);
  const step = binMs / 4;
  const k = Math.ceil(skewMs / step);
  const fo = new Float64Array(w.length);
  const fp = new Float64Array(w.length);
  const cv = w.octets.map(Math.sqrt);
  const fv = new Float64Array(w.length);
  let best: Activity = { rho: NaN, lagMs: 0, n: 0, outOctets: 0, inOctets: 0, outPackets: 0, inPackets: 0 };
  for (let j = 0; j <= 2 * k; j++) {
    const lag = j % 2 === 0 ? j / 2 : -(j + 1) / 2; // 0, -1, 1, -2, 2, ...: ties go to the smaller lag
    // lagMs is added to the inbound's times to line them up with the outbound's.
    const lagMs = lag * step;
    const shift = outCoarse ? lagMs : -lagMs;
    fo.fill(0);
    fp.fill(0);
    project(fine, shift, w, fo, fp);
    const lo = Math.max(coarse.start, fine.start + shift);
    const hi = Math.min(coarse.end, fine.end + shift);
    let n = 0;
    let co = 0;
    let cp = 0;
    let so = 0;
    let sp = 0;
    for (let i = 0; i < w.length; i++) {
      const mid = (w.start[i]! + w.end[i]!) / 2;
      const inside = mid >= lo && mid <= hi;
      fv[i] = inside ? Math.sqrt(fo[i]!) : NaN;
      if (!inside) continue;
      n++;
      co += w.octets[i]!;
      cp += w.packets[i]!;
      so += fo[i]!;
      sp += fp[i]!;
    }
    const rho = pearson(cv, fv);
    if (j === 0 || (!Number.isNaN(rho) && !(rho <= best.rho))) {
      best = outCoarse
        ? { rho, lagMs, n, outOctets: co, inOctets: so, outPackets: cp, inPackets: sp }
        : { rho, lagMs, n, outOctets: so, inOctets: co, outPackets: sp, inPackets: cp };
    }
  }
  return best;
}

interface Activity {
  rho: number;
  lagMs: number;
  /** Windows compared. */
  n: number;
  outOctets: number;
  inOctets: number;
  outPackets: number;
  inPackets: number;
}

export function scorePair(view: OutboundView, cand: FlowSeries, ctx: PairContext): PairScore {
  const { out } = view;
  const { binMs, maxStartLeadMs, skewMs } = ctx;
  const a = compare(view, cand, binMs, skewMs);
  const coarseMs = Math.max(binMs, out.typicalIntervalMs, cand.typicalIntervalMs);
  const skew = Math.max(skewMs, EDGE_SD_MS);
  const start = alignmentLlr(out.start - cand.start, -skew, maxStartLeadMs + skew, out.end - out.start, ctx.startCrowd);
  const end = endLlr(out, cand, maxStartLeadMs + skew, ctx.endCrowd);
  const bytes = ratioLlr(a.outOctets, a.inOctets, 0.2);
  const packets = ratioLlr(a.outPackets, a.inPackets, 0.15);
  const activity = activityLlr(a.rho, a.n, 1 + (2 * skewMs) / coarseMs);
  return { score: start + end + bytes + packets + activity, start, end, bytes, packets, activity, rho: a.rho, lagMs: a.lagMs, windows: a.n };
}

/** End alignment; censored (still active) ends only count when they contradict a relay. */
function endLlr(out: FlowSeries, cand: FlowSeries, tol: number, crowd: number): number {
  const x = cand.end - out.end;
  const span = out.end - Math.max(cand.start, out.start);
  if (out.final && cand.final) return alignmentLlr(x, -tol, tol, span, crowd);
  // The outbound kept sending well after the inbound closed: a relay would have closed it.
  if (cand.final && !out.final && x < -tol) return Math.log(0.02 / 0.5); // H1 vs H0 mass on that side
  return 0;
}

/** Pearson correlation of a[i] and b[i] over the i where b[i] is not NaN; NaN if undefined. */
function pearson(a: Float64Array, b: Float64Array): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i]!)) continue;
    n++;
    sa += a[i]!;
    sb += b[i]!;
  }
  if (n < 3) return NaN;
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i]!)) continue;
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  // A (near-)constant series carries no timing information.
  if (va <= 1e-9 * (ma * ma * n + 1) || vb <= 1e-9 * (mb * mb * n + 1)) return NaN;
  return cov / Math.sqrt(va * vb);
}
