// What the gateway's preservation routes need of the history store (preservation-store.ts
// implements it on PostgreSQL): one order per trace, its id the trace id.
import type { Hop } from '../../schemas/types.gen.ts';
import type { OrderState, PinnedCounts } from '../history/preservation.ts';

export interface PreservationStore {
  open(traceId: string, hops: readonly Hop[], days: number): Promise<{ order: OrderState; pinned: PinnedCounts }>;
  extend(traceId: string, days: number): Promise<OrderState | undefined>;
  release(traceId: string): Promise<OrderState | undefined>;
  state(traceId: string): Promise<OrderState | undefined>;
}

