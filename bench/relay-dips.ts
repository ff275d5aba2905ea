// Does a true relay, once shown undecided (>= 0.1, < 0.9), drop out of a later, longer read of
// the same flows? The tracer's stale-relay re-read (engine.ts staleRelaysToReread, chain.ts
// applyResolution staleOnly; README) has a re-read of an AMBIGUOUS chain supersede an undecided
// relay hop a complete read holding all its records no longer yields: were a true relay to drop
// out, the host's owner would be decided in its place, a wrong subscriber.
// Seeded relay-fixtures scenarios (simulator/relay-fixtures.ts), each read on growing prefixes of
// its records in the order they were produced (PREFIXES reads), as the correlator meets them.
// `node bench/relay-dips.ts [trials=200]`; counts per cell, and the same for unrelated candidates
// (the stale rivals the re-read is for). The re-read supersedes only beside a decided relay of
// the same read: trueDroppedBesideADecidedRelay is the exposure that leaves (a true relay dropped
// while a false one is decided), falseDroppedBesideADecidedRelay what it clears.
import { DEFAULT_JOIN_OPTIONS } from '../services/join/join-types.ts';
import { DEFAULT_RELAY_OPTIONS, scoreRelay } from '../services/join/matchers/relay-timing.ts';
import { relayScenario } from '../services/simulator/relay-fixtures.ts';

const TRIALS = Number(process.argv[2] ?? 200);
const PREFIXES = 20;
const opts = { ...DEFAULT_RELAY_OPTIONS, ...DEFAULT_JOIN_OPTIONS };
for (const records of [1, 2, 'many'] as const) {
  for (const concurrent of [10, 100]) {
    let shownUndecided = 0, droppedAfter = 0, droppedAtEnd = 0, droppedBesideDecided = 0, falseShown = 0, falseDropped = 0, falseDroppedBesideDecided = 0;
    for (let i = 0; i < TRIALS; i++) {
      const sc = relayScenario({ seed: 77_000_000 + concurrent * 1_000 + i + (records === 'many' ? 500 : records * 100_000), concurrent, recordsPerFlow: records });
      const events = [...sc.events].sort((a, b) => a.producedAt - b.producedAt);
      let trueShown = false, trueDropped = false, lastTrue = false, besideDecided = false;
      const seenFalse = new Set<string>();
      const droppedFalse = new Set<string>();
      const droppedFalseDecided = new Set<string>();
      for (let k = 1; k <= PREFIXES; k++) {
        const hops = scoreRelay(sc.lookup, events.slice(0, Math.ceil((k * events.length) / PREFIXES)), opts);
        const t = hops.find((h) => sc.truth.includes(`${h.leadsToAddr}:${h.leadsToPort}`));
        if (t && t.confidence < 0.9) trueShown = true;
        const decided = hops.some((h) => h.rank === 1 && h.confidence >= 0.9);
        if (trueShown && !t) { trueDropped = true; if (decided) besideDecided = true; }
        lastTrue = t !== undefined;
        const now = new Set(hops.filter((h) => !sc.truth.includes(`${h.leadsToAddr}:${h.leadsToPort}`)).map((h) => `${h.leadsToAddr}:${h.leadsToPort}`));
        for (const f of seenFalse) if (!now.has(f)) { droppedFalse.add(f); if (decided) droppedFalseDecided.add(f); }
        for (const f of now) seenFalse.add(f);
      }
      if (trueShown) shownUndecided++;
      if (trueDropped) droppedAfter++;
      if (trueShown && !lastTrue) droppedAtEnd++;
      if (besideDecided) droppedBesideDecided++;
      falseDroppedBesideDecided += droppedFalseDecided.size;
      falseShown += seenFalse.size;
      falseDropped += droppedFalse.size;
    }
    console.log(`RESULT ${JSON.stringify({ name: 'relay-dips', recordsPerFlow: records, concurrent, trials: TRIALS, trueShownUndecided: shownUndecided, trueDroppedLater: droppedAfter, trueDroppedAtEnd: droppedAtEnd, trueDroppedBesideADecidedRelay: droppedBesideDecided, falseShown, falseDroppedLater: falseDropped, falseDroppedBesideADecidedRelay: falseDroppedBesideDecided })}`);
  }
}
