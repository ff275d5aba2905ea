// Per-exporter clock offset, estimated from export time vs. receive (produce) time like an
// NTP min-delay filter: a sample is exportTime - receivedAt = offset - transit delay, and
// transit delay >= 0, so the largest recent sample is the best estimate of the offset.
// corrected time = exporter time - offset.

export interface ClockSkewOptions {
  /** Samples kept per exporter for the max filter. Default 32. */
  window: number;
  /** |offset| above which the exporter clock is flagged as wrong (not absorbed), ms. Default 1 h. */
  flagAboveMs: number;
  /** |offset| below which no correction is applied (noise), ms. Default 50. */
  ignoreBelowMs: number;
  /** Samples needed before any correction: one late export is delay, not a clock error. Default 4. */
  minSamples: number;
}

export const DEFAULT_CLOCK_SKEW: Readonly<ClockSkewOptions> = Object.freeze({ window: 32, flagAboveMs: 3_600_000, ignoreBelowMs: 50, minSamples: 4 });

export interface SkewEstimate {
  /** Offset to subtract from the exporter's times, ms (0 when below ignoreBelowMs). */
  offsetMs: number;
  /** True when |offset| exceeds flagAboveMs: the exporter's events are not trustworthy. */
  flagged: boolean;
}

export function createClockSkewEstimator(opts: ClockSkewOptions = DEFAULT_CLOCK_SKEW) {
  const samples = new Map<string, { ring: number[]; next: number }>();
  return {
    /** Adds a sample and returns the current estimate for the exporter. */
    observe(exporterId: string, exportTime: number, receivedAt: number): SkewEstimate {
      let s = samples.get(exporterId);
      if (!s) { s = { ring: [], next: 0 }; samples.set(exporterId, s); }
      const sample = exportTime - receivedAt;
      if (s.ring.length < opts.window) s.ring.push(sample);
      else { s.ring[s.next] = sample; s.next = (s.next + 1) % opts.window; }
      let max = -Infinity;
      for (const v of s.ring) if (v > max) max = v;
      if (s.ring.length < opts.minSamples) return { offsetMs: 0, flagged: false };
      const offsetMs = Math.abs(max) < opts.ignoreBelowMs ? 0 : max;
      return { offsetMs, flagged: Math.abs(max) > opts.flagAboveMs };
    },
    /** Current estimates, for the exporter-skew metric. */
    estimates(): Map<string, number> {
      const out = new Map<string, number>();
      for (const [id, s] of samples) out.set(id, Math.max(...s.ring));
      return out;
    },
  };
}

export type ClockSkewEstimator = ReturnType<typeof createClockSkewEstimator>;
