// Per-exporter clock offset, estimated from export time vs. receive (produce) time like an
// NTP min-delay filter: a sample is exportTime - receivedAt = offset - transit delay, and
// transit delay >= 0, so the largest recent sample is the best estimate of the offset.
// corrected time = exporter time - offset.
//
// Delay is not offset. RFC 7011 Export Time is when the message left the exporter; an exporter
// whose transport to the collector was cut (TCP/SCTP session down, collector or Kafka away)
// queues its messages and sends the backlog when the session comes back: every backlog record
// then shows minus its queueing delay (minutes), and a filter over the last N samples reads
// "clock minutes slow" and shifts each record minutes later (a released port block still held
// at the observation). So:
// - the filter runs over a window of receive time (windowMs), not a number of samples, and all
//   samples received at one instant (a burst: one batch produced at once) count as one, their
//   best; minSamples counts distinct receive instants;
// - a backlog after a silence shorter than the window meets the samples from before the
//   silence in the window, whose max wins; after a gap in receipt longer than gapMs, a sample whose export time (corrected by the
//   current estimate) lies before the resumption (minus backlogSlackMs: IPFIX Export Time has
//   one-second resolution) was queued during the gap: it says nothing about the clock and is
//   not used (its record is still corrected by the current estimate). A clock that did change
//   during the gap is taken up once its samples are exported after the resumption;
// - a positive max is a proven lower bound on the offset (delay only lowers a sample) and is
//   used at once; a negative one needs minSamples distinct receive instants;
// - with too few usable samples in the window, the last estimate stands (0 before the first);
// - a clock that steps BACK (a sender logging local time without a zone at the DST fall-back,
//   an operator correcting a fast clock) shows as samples far below the max while receipt goes
//   on: the max would keep the old offset for the whole window and move every record an hour
//   early. A sample more than stepMs below the estimate is a delay or a step: its record's time
//   is uncertain by that much and it is not corrected but refused (`step`; dead-lettered, for
//   replay once the estimate has settled). minSamples such instants in a row, with no sample
//   near the estimate between them, are a step: the window restarts from them. A backlog after
//   a gap cannot be older than the gap's start (the exporter delivered up to then): a sample
//   whose corrected export time lies before it is a step too, not backlog.


export interface ClockSkewOptions {
  /** Receive-time window of the max filter, ms. Default 10 min. */
  windowMs: number;
  /** Most distinct receive instants kept per exporter (memory bound; oldest dropped). Default 64. */
  maxInstants: number;
  /** Receipt silence after which the next samples may be a backlog, ms. Default 10 min, the
   *  window: after a shorter silence the window still holds the samples from before it. */
  gapMs: number;
  /** How much earlier than the resumption an export time must be to count as backlog, ms. Default 2 s. */
  backlogSlackMs: number;
  /** |offset| above which the exporter clock is flagged as wrong (not absorbed), ms. Default 1 h. */
  flagAboveMs: number;
  /** |offset| below which no correction is applied (noise), ms. Default 50. */
  ignoreBelowMs: number;
  /** Distinct receive instants needed before a negative estimate (clock slow): one late export
   *  is delay, not a clock error. A positive one needs none. Default 4. */
  minSamples: number;
  /** A sample this far below the estimate, receipt continuous, is a delay or a clock stepped
   *  back, ms. Default 10 min, gapMs: a record that waited through a silence shorter than
   *  gapMs (no backlog then) waited less than this. */
  stepMs: number;
}

export const DEFAULT_CLOCK_SKEW: Readonly<ClockSkewOptions> = Object.freeze({
  windowMs: 600_000, maxInstants: 64, gapMs: 600_000, backlogSlackMs: 2_000, flagAboveMs: 3_600_000, ignoreBelowMs: 50, minSamples: 4, stepMs: 600_000,
});

export interface SkewEstimate {
  /** Offset to subtract from the exporter's times, ms (0 when below ignoreBelowMs). */
  offsetMs: number;
  /** True when |offset| exceeds flagAboveMs: the exporter's events are not trustworthy. */
  flagged: boolean;
  /** Set when this sample lies more than stepMs below the estimate: how far, ms. The record's
   *  time is uncertain by that much (a delay, or the clock stepped back). */
  stepMs?: number;
}

interface ExporterClock {
  /** [receivedAt, best sample at that instant], in receive order. */
  instants: [number, number][];
  lastReceivedAt: number;
  /** Receive time at which receipt resumed after the last gap, or null. */
  resumedAt: number | null;
  /** Last receive time before that gap: a backlog was exported after it. */
  gapFrom: number | null;
  /** Instants in a row whose samples lie more than stepMs below the estimate (a step, once minSamples). */
  below: [number, number][];
  /** Raw estimate (max filter) last computed from enough samples; null before the first. */
  raw: number | null;
}

export function createClockSkewEstimator(opts: ClockSkewOptions = DEFAULT_CLOCK_SKEW) {
  const clocks = new Map<string, ExporterClock>();
  const estimateOf = (raw: number | null): SkewEstimate => (raw === null
    ? { offsetMs: 0, flagged: false }
    : { offsetMs: Math.abs(raw) < opts.ignoreBelowMs ? 0 : raw, flagged: Math.abs(raw) > opts.flagAboveMs });
  return {
    /** Adds a sample and returns the current estimate for the exporter. */
    observe(exporterId: string, exportTime: number, receivedAt: number): SkewEstimate {
      let c = clocks.get(exporterId);
      if (!c) { c = { instants: [], lastReceivedAt: receivedAt, resumedAt: null, gapFrom: null, below: [], raw: null }; clocks.set(exporterId, c); }
      if (receivedAt - c.lastReceivedAt > opts.gapMs) { c.resumedAt = receivedAt; c.gapFrom = c.lastReceivedAt; }
      c.lastReceivedAt = Math.max(c.lastReceivedAt, receivedAt);
      const current = estimateOf(c.raw).offsetMs;
      const corrected = exportTime - current;
      const backlog = c.resumedAt !== null && corrected < c.resumedAt - opts.backlogSlackMs
        && !(c.gapFrom !== null && corrected < c.gapFrom - opts.backlogSlackMs);
      const stale = receivedAt < c.lastReceivedAt - opts.windowMs; // received out of order, before the window
      let step: number | undefined;
      if (!backlog && !stale) {
        const sample = exportTime - receivedAt;
        const last = c.instants.at(-1);
        if (last && last[0] === receivedAt) last[1] = Math.max(last[1], sample);
        else c.instants.push([receivedAt, sample]);
        if (c.raw !== null && sample < c.raw - opts.stepMs) {
          step = c.raw - sample;
          const b = c.below.at(-1);
          if (b && b[0] === receivedAt) b[1] = Math.max(b[1], sample);
          else c.below.push([receivedAt, sample]);
          if (c.below.length >= opts.minSamples) { c.instants = c.below; c.below = []; step = undefined; }
        } else c.below = [];
        const oldest = c.lastReceivedAt - opts.windowMs;
        while (c.instants.length > 0 && (c.instants[0]![0] < oldest || c.instants.length > opts.maxInstants)) c.instants.shift();
        let max = -Infinity; // a loop, not Math.max(...map): this runs once per event
        for (let i = 0; i < c.instants.length; i++) max = Math.max(max, c.instants[i]![1]);
        // max > 0 proves the clock at least that fast (delay only lowers a sample): correcting
        // by it never overshoots, whatever the count. A negative max may be delay: it needs
        // minSamples distinct receive instants.
        if (max > 0 || c.instants.length >= opts.minSamples) c.raw = max;
      }
      return step === undefined ? estimateOf(c.raw) : { ...estimateOf(c.raw), stepMs: step };
    },
    /** Current raw estimates (before the noise floor), for the exporter-skew metric. */
    estimates(): Map<string, number> {
      const out = new Map<string, number>();
      for (const [id, c] of clocks) if (c.raw !== null) out.set(id, c.raw);
      return out;
    },
  };
}

export type ClockSkewEstimator = ReturnType<typeof createClockSkewEstimator>;
