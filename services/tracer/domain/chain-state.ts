// The chain state of one trace: plain data, stored per trace (tracer/chain-store.ts). Its own
// file so chain.ts (the transitions), chain-status.ts and chain-update.ts (read-only views of
// it) all depend on it and not on each other in a circle.
import type { Hop, TraceRequest, TraceStatus } from '../../../schemas/types.gen.ts';
import type { Lookup } from '../../join/join-types.ts';

/** Plain data (JSON round-trips), stored per trace. */
export interface ChainState {
  /** The OPEN request; EXTEND moves only its expiresAt. */
  request: TraceRequest;
  /** seq of the last update published, 1-based. */
  seq: number;
  status: TraceStatus;
  /** Unique by hopId, the newest version of each; hops whose parent is not known yet included. */
  hops: Hop[];
  /** Every lookup registered for this trace, unique by lookupId (their waiters hold the windows). */
  lookups: Lookup[];
  /** UTC ms of the last change. */
  lastChangeAt: number;
  /** Hops a later resolution of their lookup no longer found (superseded), as they were last
   *  seen: a redelivered or replayed version with no more evidence stays out. */
  retired?: Hop[];
  /** Relay lookups (lookupIds) on a hosting provider's server (a VPS, a web server, a proxy):
   *  their silence ends the chain at the server's owner only on positive flow evidence (chain-status.ts). */
  serverRelays?: string[];
  /** lookupId -> UTC ms a read of that relay lookup first saw the host's own outbound flow
   *  toward the peer: flows of the window were exported, so an inbound relay flow would be too. */
  outboundSeen?: Record<string, number>;
  /** lookupId -> the flow watermark (UTC ms, event time) a relay lookup was first seen settled
   *  at: every flow exporter of its host's provider indexed past the window's end + export lag,
   *  and a window read after that found no relay (relay-settling.ts). */
  flowsIndexed?: Record<string, number>;
  /** lookupId -> the export time (UTC ms) by which a relay lookup's flows are due: the window's
   *  end + the host's flow exporters' export lag + clock tolerance. Past it by stallAfterMs with
   *  no watermark there, the exporters are overdue: owner or relay, AMBIGUOUS. */
  relayDueAt?: Record<string, number>;
  /** Lookups (lookupIds) whose window read was made while the windows were not built (lost, or
   *  being rebuilt from Kafka) and decided nothing (the windows' fence, tracer/engine.ts): once
   *  they are built, the tick reads each again; a read on built windows takes it out. */
  unbuiltReads?: string[];
}
