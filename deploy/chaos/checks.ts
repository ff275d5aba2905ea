// What a chaos run checks, computed from what the topics hold (read committed) and the
// simulator's ground truth; pure, and its own oracle (no tracer code): a best path is walked
// here, the audit chain's links are compared here.
//   chains correct   the trace's latest update is TERMINATED_AT_SUBSCRIBER and its best path
//                    (rank-1 hops from the root, leading-on first) is the true chain hop by hop
//                    (method, jurisdiction, where it leads, the subscriber at the end)
//   undecided        the latest update is AMBIGUOUS, every true hop is a rank-1 hop of it, and
//                    a rival hop that is not on the truth hangs off a true hop's parent with
//                    more than 1 - 0.9 confidence (a background flow that timed like a relay,
//                    say): listed apart, never counted correct. Whether the DATA leaves it
//                    undecided is sortUndecided's to say, from the run's complete records
//                    (complete-records.ts): a rival they do not hold is the run's doing and
//                    fails it. An AMBIGUOUS with no such rival (owner or relay only because the
//                    flows are overdue: a pipeline behind) is wrong.
//   lost             per trace, the full view's seqs 1..max with a gap; per audience, a
//                    disclosure the audit chain records whose signed view is not on
//                    trace.updates.<CC>
//   duplicate        one (trace, seq) published with two different contents, on any audience;
//                    two hops of one update with the same id or the same step (parent, method,
//                    observed and leads-to endpoints) under two ids
//   forks            in one audience's audit chain (on audit.disclosures and on its own
//                    audit.disclosures.<CC>), two records with one auditSeq and different
//                    hashes, a gap, or a record whose prevHash is not the previous record's hash
// A seq published again with the same content (a tracer killed between its commit and its state
// save republishes it; partners drop seq <= seen) is counted as `replayed`, not as a duplicate.
import type { GroundTruth } from '../../services/simulator/ground-truth.ts';
import type { Disclosure, Hop, TraceUpdate } from '../../schemas/types.gen.ts';

export interface Observed {
  /** trace.updates in offset order (per trace: partition order). */
  updates: TraceUpdate[];
  /** trace.updates.<CC>: the signed views' updates, by audience. */
  views: Map<string, TraceUpdate[]>;
  /** audit.disclosures in offset order: every audience's chain. */
  audit: Disclosure[];
  /** audit.disclosures.<CC>: each audience's own chain, as its partner reads it. */
  auditFeeds?: Map<string, Disclosure[]>;
}

export interface Verdict {
  /** Traces of the ground truth whose request the tracer has seen (seq 1 published). */
  opened: number;
  correct: number;
  /** Why each incorrect opened trace is not correct, by trace id. */
  wrong: Map<string, string>;
  /** AMBIGUOUS chains whose candidates hold the truth beside a rival with evidence, by trace id. */
  undecided: Map<string, string>;
  /** The rival hops of each undecided chain, by trace id. */
  rivals: Map<string, Hop[]>;
  lost: number;
  duplicate: number;
  replayed: number;
  forks: number;
  /** First few problems, for the report. */
  problems: string[];
}

/** Content of an update that must not differ between two publishes of one seq. */
const contentOf = (u: TraceUpdate): string => JSON.stringify([u.status, u.hops.map((h) => [h.hopId, h.rank, h.leadsToAddr, h.leadsToPort, h.subscriberHandle, h.active])]);

export function bestPathOf(hops: readonly Hop[]): Hop[] {
  const path: Hop[] = [];
  let parent: string | null = null;
  for (let depth = 0; depth < 64; depth++) {
    const children = hops.filter((h) => h.parentHopId === parent && h.rank === 1);
    if (children.length === 0) break;
    const leading = children.filter((h) => h.leadsToAddr !== null);
    const pick = (leading.length ? leading : children).reduce((a, b) => (b.confidence > a.confidence || (b.confidence === a.confidence && b.hopId < a.hopId) ? b : a));
    path.push(pick);
    parent = pick.hopId;
  }
  return path;
}

const stepOf = (method: string, jurisdiction: string, leadsTo: string | null, handle: string | null): string => `${method}:${jurisdiction}->${leadsTo ?? handle ?? '?'}`;
/** The step a chain's hop takes, and the one a true hop takes, in the same words. */
const hopStep = (h: Hop): string => stepOf(h.method, h.jurisdiction, h.leadsToAddr, h.subscriberHandle);
const truthStep = (h: GroundTruth['traces'][number]['hops'][number]): string => stepOf(h.method, h.jurisdiction, h.leadsTo?.addr ?? null, h.subscriberHandle);

/**
 * Why `last` is not the true chain, or undefined when it is. The truth lists every hop by depth;
 * a hop that ends at a subscriber before the last depth (the relay host's owner) is a sibling of
 * the hop that leads on: the best path is the truth's hops that lead on plus its last, and
 * every true hop must be a rank-1 hop of the chain.
 */
export function chainMismatch(last: TraceUpdate | undefined, truth: GroundTruth['traces'][number]): string | undefined {
  if (!last) return 'no update';
  if (last.status !== 'TERMINATED_AT_SUBSCRIBER') return `status ${last.status} at seq ${last.seq}`;
  const got = bestPathOf(last.hops).map(hopStep);
  const want = truth.hops.filter((h, i) => h.leadsTo !== null || i === truth.hops.length - 1)
    .map(truthStep);
  if (got.join(' ') !== want.join(' ')) return `path ${got.join(' ')} != truth ${want.join(' ')}`;
  const rank1 = new Set(last.hops.filter((h) => h.rank === 1).map(hopStep));
  const absent = truth.hops.map(truthStep).filter((s) => !rank1.has(s));
  if (absent.length) return `true hop(s) ${absent.join(' ')} not rank 1 in the chain`;
  return undefined;
}

/** The rival hops when `last` is AMBIGUOUS only because the evidence does not decide between
 *  the truth and a rival that has its own evidence; undefined otherwise. */
export function rivalsOf(last: TraceUpdate | undefined, truth: GroundTruth['traces'][number], decisive = 0.9): Hop[] | undefined {
  if (!last || last.status !== 'AMBIGUOUS') return undefined;
  const want = new Set(truth.hops.map(truthStep));
  const onTruth = last.hops.filter((h) => h.rank === 1 && want.has(hopStep(h)));
  if (new Set(onTruth.map(hopStep)).size !== want.size) return undefined;
  const parents = new Set(onTruth.map((h) => h.parentHopId));
  const rivals = last.hops.filter((h) => !want.has(hopStep(h)) && parents.has(h.parentHopId) && h.confidence > 1 - decisive);
  return rivals.length === 0 ? undefined : rivals;
}

const describeRival = (h: Hop): string =>
  `${hopStep(h)} (${h.observedAddr}${h.observedPort === null ? '' : `:${h.observedPort}`}, confidence ${h.confidence.toFixed(2)})`;

/** The rival candidates when `last` is AMBIGUOUS only because the evidence does not decide between
 *  the truth and a rival that has its own evidence, described; undefined otherwise. */
export function undecidedBy(last: TraceUpdate | undefined, truth: GroundTruth['traces'][number], decisive = 0.9): string | undefined {
  return rivalsOf(last, truth, decisive)?.map(describeRival).join(', ');
}

/** What the complete records say of one undecided chain (complete-records.ts): the relay hops
 *  its true chain's relay lookups yield from every record of the run; null when they were not
 *  scored (the run's records could not be generated again). */
export type Rescored = Hop[] | null;

/**
 * Sorts the undecided chains by whether the DATA leaves them undecided. A chain is undecided by
 * the data when each of its rivals is a relay answer that the same host's relay lookup, scored
 * on the complete records of the run (every record in place, no fault), also reports, leading
 * to the same endpoint, with at least `shown` confidence, AND the complete records leave that
 * lookup undecided too, up to `near`: the rival there holds at least 1 - decisive - near, or the
 * true relay beside it (the candidate leading where the truth goes) less than decisive + near.
 * The margins: the live read and the rebuilt one differ by ingest's clock estimate,
 * milliseconds, which moves a candidate right at a threshold either way. Any other rival (not a
 * relay answer, not reported on the complete records, far weaker there, or beside a true relay
 * the complete records decide) was made by the run: a fault's doing, or a hop the chain kept from
 * an earlier read that the complete records no longer support. Those fail the run. Both figures
 * of the complete records are printed either way.
 */
export function sortUndecided(v: Pick<Verdict, 'rivals'>, rescored: ReadonlyMap<string, Rescored>, truth: GroundTruth,
  o: { shown?: number; near?: number; decisive?: number } = {}): { byData: Map<string, string>; byRun: Map<string, string> } {
  const { shown = 0.05, near = 0.02, decisive = 0.9 } = o;
  const byData = new Map<string, string>();
  const byRun = new Map<string, string>();
  for (const [traceId, rivals] of v.rivals) {
    const complete = rescored.get(traceId) ?? null;
    const t = truth.traces.find((x) => x.traceId === traceId);
    const want = new Set((t?.hops ?? []).map(truthStep));
    // each rival: what the complete records say of it, and whether they leave it undecided
    const said = rivals.map((h): { text: string; byData: boolean } => {
      if (complete === null) return { text: `${describeRival(h)}: the complete records were not scored`, byData: false };
      if (h.method !== 'RELAY_TIMING') return { text: `${describeRival(h)}: not a relay answer, which the complete records would have to show`, byData: false };
      const same = complete.find((c) => c.observedAddr === h.observedAddr && c.leadsToAddr === h.leadsToAddr && c.leadsToPort === h.leadsToPort);
      if (!same) return { text: `${describeRival(h)}: not a candidate on the complete records`, byData: false };
      const truths = complete.filter((c) => c.observedAddr === h.observedAddr && want.has(hopStep(c)));
      const trueBest = truths.length === 0 ? undefined : Math.max(...truths.map((c) => c.confidence));
      const figures = `${same.confidence.toFixed(3)} on the complete records, the true relay there ${trueBest === undefined ? 'none (the owner)' : trueBest.toFixed(3)}`;
      if (same.confidence < shown) return { text: `${describeRival(h)}: ${figures}`, byData: false };
      if (same.confidence < 1 - decisive - near && (trueBest === undefined || trueBest >= decisive + near)) return { text: `${describeRival(h)}: ${figures}, which decide the lookup`, byData: false };
      return { text: `${describeRival(h)}, ${figures}`, byData: true };
    });
    const undecided = said.every((x) => x.byData);
    (undecided ? byData : byRun).set(traceId, said.map((x) => x.text).join(undecided ? ', ' : '; '));
  }
  return { byData, byRun };
}

export function judge(truth: GroundTruth, o: Observed): Verdict {
  const v: Verdict = { opened: 0, correct: 0, wrong: new Map(), undecided: new Map(), rivals: new Map(), lost: 0, duplicate: 0, replayed: 0, forks: 0, problems: [] };
  const problem = (s: string): void => { if (v.problems.length < 20) v.problems.push(s); };
  const byTrace = new Map<string, TraceUpdate[]>();
  for (const u of o.updates) {
    const l = byTrace.get(u.traceId) ?? [];
    l.push(u);
    byTrace.set(u.traceId, l);
  }
  // duplicates and replays on every audience; gaps on the full view
  const audiences: [string, TraceUpdate[]][] = [['full', o.updates], ...o.views];
  for (const [aud, list] of audiences) {
    const seen = new Map<string, string>();
    for (const u of list) {
      const k = `${u.traceId}#${u.seq}`;
      const c = contentOf(u);
      const before = seen.get(k);
      if (before === undefined) seen.set(k, c);
      else if (before === c) v.replayed++;
      else { v.duplicate++; problem(`${aud}: ${k} published twice with different contents`); }
    }
  }
  for (const [traceId, list] of byTrace) {
    const seqs = new Set(list.map((u) => u.seq));
    const max = Math.max(...seqs);
    const missing = [...Array(max).keys()].map((i) => i + 1).filter((s) => !seqs.has(s));
    // a run reads from where the topics ended at its start: an older trace's first seqs are before it
    if (missing.length && seqs.has(1)) { v.lost += missing.length; problem(`full: ${traceId} seq ${missing.join(',')} missing`); }
    for (const u of list) {
      const ids = new Set<string>();
      const steps = new Set<string>();
      for (const h of u.hops) {
        const step = JSON.stringify([h.parentHopId, h.method, h.observedAddr, h.observedPort, h.leadsToAddr, h.leadsToPort, h.subscriberHandle]);
        if (ids.has(h.hopId) || steps.has(step)) { v.duplicate++; problem(`${traceId} seq ${u.seq}: hop ${h.hopId} twice`); }
        ids.add(h.hopId);
        steps.add(step);
      }
    }
  }
  // every disclosure the audit chain records reached its audience's topic
  const viewKeys = new Map([...o.views].map(([cc, l]) => [cc, new Set(l.map((u) => `${u.traceId}#${u.seq}`))]));
  for (const d of o.audit) {
    if (!viewKeys.get(d.audience)?.has(`${d.traceId}#${d.updateSeq}`)) { v.lost++; problem(`${d.audience}: ${d.traceId} seq ${d.updateSeq} audited, not on trace.updates.${d.audience}`); }
  }
  // one audit chain per audience: on audit.disclosures (all of them) and on each audit.disclosures.<CC>
  const chains: [string, Disclosure[]][] = [['audit.disclosures', o.audit], ...[...(o.auditFeeds ?? new Map<string, Disclosure[]>())].map(([cc, l]) => [`audit.disclosures.${cc}`, l] as [string, Disclosure[]])];
  for (const [topic, records] of chains) {
    const byAudience = new Map<string, Map<number, Disclosure>>();
    for (const d of records) {
      const bySeq = byAudience.get(d.audience) ?? new Map<number, Disclosure>();
      byAudience.set(d.audience, bySeq);
      const before = bySeq.get(d.auditSeq);
      if (before && !before.hash.equals(d.hash)) { v.forks++; problem(`${topic}: ${d.audience} audit seq ${d.auditSeq} twice with different hashes`); }
      bySeq.set(d.auditSeq, before ?? d);
    }
    for (const [aud, bySeq] of byAudience) {
      const seqs = [...bySeq.keys()].sort((a, b) => a - b);
      for (let i = 1; i < seqs.length; i++) {
        const prev = bySeq.get(seqs[i - 1]!)!;
        const cur = bySeq.get(seqs[i]!)!;
        if (cur.auditSeq !== prev.auditSeq + 1) { v.forks++; problem(`${topic}: ${aud} audit seq ${prev.auditSeq + 1}..${cur.auditSeq - 1} missing`); } else if (!cur.prevHash.equals(prev.hash)) { v.forks++; problem(`${topic}: ${aud} audit seq ${cur.auditSeq} does not link to ${prev.auditSeq}`); }
      }
    }
  }
  for (const t of truth.traces) {
    const list = byTrace.get(t.traceId);
    if (!list?.some((u) => u.seq === 1)) continue;
    v.opened++;
    const last = list.reduce((a, b) => (b.seq >= a.seq ? b : a));
    const why = chainMismatch(last, t);
    const rivals = why === undefined ? undefined : rivalsOf(last, t);
    if (why === undefined) v.correct++;
    else if (rivals !== undefined) {
      v.undecided.set(t.traceId, `AMBIGUOUS at seq ${last.seq}: the true chain, and beside it ${rivals.map(describeRival).join(', ')}`);
      v.rivals.set(t.traceId, rivals);
    }
    else v.wrong.set(t.traceId, why);
  }
  return v;
}
