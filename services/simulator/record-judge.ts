// Judges a trace's final hops against a record scenario's ground truth (record-scenario.ts),
// the same way for the in-memory replay, the integration tests and bench/accuracy. The oracle
// is the scenario file (written from how providers log), not the matchers. Pure.
import type { Hop, TraceStatus } from '../../schemas/types.gen.ts';
import { ancestry, bestPath, decided, pathConfidence, rivals } from '../tracer/domain/chain-status.ts';
import type { RecordScenario, TruthStep } from './record-scenario.ts';

export interface Verdict {
  /** Truth steps (path and beside) found at rank 1. */
  found: number;
  truth: number;
  /** Rank-1 hops reported, and how many of them are true. */
  reported: number;
  correct: number;
  ambiguous: boolean;
  /** The worst failure: a subscriber hop decided (every hop from the root to it decided, path
   *  confidence >= 0.9) that the truth does not name — for an AMBIGUOUS truth, any decided
   *  subscriber the truth's path does not name (the truth says none can be). Any branch counts:
   *  a partner sees its own branch, not the best path. */
  wrongDecidedSubscriber: string | null;
  /** A decided onward hop (leads to an address) from an address where the truth's path goes
   *  on, that leads elsewhere than the truth says: `method observed -> leadsTo`. A wrong
   *  intermediate hop sends the next jurisdiction after the wrong host, whatever the chain
   *  finds there. */
  wrongDecidedHop: string | null;
  /** For AMBIGUOUS truths: every expected candidate is shown. */
  candidatesShown: boolean;
  statusOk: boolean;
  problems: string[];
}

export const DECIDED = 0.9;

const sameStep = (h: Hop, t: TruthStep) => h.method === t.method && h.observedAddr === t.observed
  && (t.leadsTo === null ? h.leadsToAddr === null : h.leadsToAddr === t.leadsTo)
  && (t.subscriber === undefined || t.subscriber === null || h.subscriberHandle === null || h.subscriberHandle === t.subscriber);

/** `hops`: the full view's hops (subscriber handles present); `status`: the chain status. */
export function judge(s: RecordScenario, hops: readonly Hop[], status: TraceStatus): Verdict {
  const steps = [...s.truth.path, ...(s.truth.beside ?? [])];
  const rank1 = hops.filter((h) => h.rank === 1);
  const found = steps.filter((t) => rank1.some((h) => sameStep(h, t))).length;
  const correct = rank1.filter((h) => steps.some((t) => sameStep(h, t))).length;
  const named = steps.flatMap((t) => (t.subscriber ? [t.subscriber] : []));
  const trueHandles = new Set(s.truth.status === 'AMBIGUOUS' ? named : named.concat(s.truth.candidates ?? []));
  const isDecided = (h: Hop) => ancestry(h, hops).every((x) => decided(x, hops, DECIDED)) && pathConfidence(h, hops) >= DECIDED;
  const wrong = hops.find((h) => h.subscriberHandle !== null && h.leadsToAddr === null && isDecided(h) && !trueHandles.has(h.subscriberHandle));
  const onward = (addr: string) => steps.some((t) => t.observed === addr && t.leadsTo !== null);
  const wrongHop = hops.find((h) => h.leadsToAddr !== null && onward(h.observedAddr) && !steps.some((t) => sameStep(h, t)) && isDecided(h));
  const shown = new Set(hops.map((h) => h.subscriberHandle));
  const candidatesShown = (s.truth.candidates ?? []).every((c) => shown.has(c));
  const problems: string[] = [];
  if (status !== s.truth.status) problems.push(`status ${status}, expected ${s.truth.status}`);
  for (const t of steps) if (!rank1.some((h) => sameStep(h, t))) problems.push(`missing ${t.method} ${t.observed} -> ${t.leadsTo ?? t.subscriber ?? '(end)'}`);
  if (wrong) problems.push(`WRONG SUBSCRIBER ${wrong.subscriberHandle} at confidence ${wrong.confidence}`);
  if (wrongHop) problems.push(`WRONG HOP ${wrongHop.method} ${wrongHop.observedAddr} -> ${wrongHop.leadsToAddr} at confidence ${wrongHop.confidence}`);
  for (const h of bestPath(hops)) {
    const tie = rivals(h, hops).find((o) => o.confidence >= h.confidence && h.confidence >= DECIDED);
    if (tie) problems.push(`best-path ${h.method} ${h.observedAddr} -> ${h.leadsToAddr ?? h.subscriberHandle} at ${h.confidence} has an equally confident rival -> ${tie.leadsToAddr ?? tie.subscriberHandle}`);
  }
  if (!candidatesShown) problems.push(`candidates ${s.truth.candidates!.join(', ')} not all shown`);
  return {
    found, truth: steps.length, reported: rank1.length, correct, ambiguous: status === 'AMBIGUOUS',
    wrongDecidedSubscriber: wrong?.subscriberHandle ?? null,
    wrongDecidedHop: wrongHop ? `${wrongHop.method} ${wrongHop.observedAddr} -> ${wrongHop.leadsToAddr}` : null, candidatesShown, statusOk: status === s.truth.status, problems,
  };
}
