// Turns window payloads back into IndexedEvents (decoding the normalised Avro value).
import type { FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import type { IndexedEvent } from './join-types.ts';
import type { RegistryClient } from '../common/registry.ts';
import { TOPICS } from '../common/topics.ts';
import type { StoredEvent } from './window-store.ts';

export async function toIndexed(stored: StoredEvent[], registry: RegistryClient): Promise<IndexedEvent[]> {
  const out: IndexedEvent[] = [];
  for (const s of stored) {
    if (s.kind === 'session') {
      out.push({ kind: 'session', ev: await registry.decode<SessionEvent>(TOPICS.sessionsNorm, s.value), producedAt: s.producedAt });
    } else {
      out.push({ kind: 'flow', dir: s.kind === 'flow-in' ? 'in' : 'out', ev: await registry.decode<FlowEvent>(TOPICS.flowsNorm, s.value), producedAt: s.producedAt });
    }
  }
  return out;
}
