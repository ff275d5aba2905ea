// Turns window payloads back into IndexedEvents (decoding the normalised Avro value).
import type { FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import type { IndexedEvent } from './join-types.ts';
import type { RegistryClient } from '../common/registry.ts';
import { TOPICS } from '../common/topics.ts';
import type { StoredEvent } from './window-store.ts';

/** One stored event decoded at once when its writer schema is fetched already (every event
 *  after the first of its schema id: registry.decodeKnown), else undefined (toIndexed waits for
 *  the schema). No promise per event: a correlator batch decodes hundreds, and an await per
 *  event let the 12 partitions' batches of a fetch advance in lockstep, each finishing only
 *  when all of them had. Throws what registry.decode rejects with. */
export function indexedNow(s: StoredEvent, registry: RegistryClient): IndexedEvent | undefined {
  if (s.kind === 'session') {
    const ev = registry.decodeKnown<SessionEvent>(TOPICS.sessionsNorm, s.value);
    return ev === undefined ? undefined : { kind: 'session', ev, producedAt: s.producedAt };
  }
  const ev = registry.decodeKnown<FlowEvent>(TOPICS.flowsNorm, s.value);
  return ev === undefined ? undefined : { kind: 'flow', dir: s.kind === 'flow-in' ? 'in' : 'out', ev, producedAt: s.producedAt };
}

/** indexedNow, waiting for the writer schema when it is not fetched yet. */
export async function indexedLater(s: StoredEvent, registry: RegistryClient): Promise<IndexedEvent> {
  if (s.kind === 'session') return { kind: 'session', ev: await registry.decode<SessionEvent>(TOPICS.sessionsNorm, s.value), producedAt: s.producedAt };
  return { kind: 'flow', dir: s.kind === 'flow-in' ? 'in' : 'out', ev: await registry.decode<FlowEvent>(TOPICS.flowsNorm, s.value), producedAt: s.producedAt };
}

export async function toIndexed(stored: StoredEvent[], registry: RegistryClient): Promise<IndexedEvent[]> {
  const out: IndexedEvent[] = [];
  for (const s of stored) out.push(indexedNow(s, registry) ?? await indexedLater(s, registry));
  return out;
}
