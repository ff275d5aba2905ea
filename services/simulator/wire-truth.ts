// The ground truth of a wire-mode run. The chain is the same; what differs is what the
// collector makes of a RADIUS account name: the subscriber handle is its keyed pseudonym
// (the account itself never reaches Kafka), so an access-session hop ends at that pseudonym.
// Evidence event ids are the collector's (it numbers records by export message), not the
// simulator's: a comparison by evidence id applies to Avro runs only. Pure.
import { subscriberPseudonym } from '../collector/domain/subscriber-pseudonym.ts';
import type { GroundTruth } from './ground-truth.ts';

export function wireTruth(t: GroundTruth, w: { pseudonymKey: Buffer }): GroundTruth {
  const handle = (providerId: string, h: string | null) => (h === null ? null : subscriberPseudonym(w.pseudonymKey, providerId, h));
  return {
    ...t,
    traces: t.traces.map((tr) => {
      const last = tr.hops[tr.hops.length - 1];
      return {
        ...tr,
        hops: tr.hops.map((h) => (h.method === 'ACCESS_SESSION' ? { ...h, subscriberHandle: handle(h.providerId, h.subscriberHandle) } : h)),
        terminal: last?.method === 'ACCESS_SESSION' ? { ...tr.terminal, subscriberHandle: handle(tr.terminal.providerId, tr.terminal.subscriberHandle)! } : tr.terminal,
      };
    }),
  };
}
