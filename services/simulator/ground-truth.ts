// The ground-truth file the simulator writes (default .stack/ground-truth/<scenario>.json):
// per traced attack, the TraceRequest the victim's jurisdiction opens and the TRUE chain of
// hops, in the terms of the Hop record (schemas/hop.avsc), so a test can compare the live
// trace chain hop by hop; plus the decoys planted to mislead the join.
import type { HopMethod, TraceRequest } from '../../schemas/types.gen.ts';
import type { ChainStep } from './scenario.ts';

export interface Endpoint { addr: string; port: number | null }

export interface TruthHop {
  /** 1-based, as Hop.depth: the requester's observation resolves at depth 1. */
  depth: number;
  method: HopMethod;
  jurisdiction: string;
  providerId: string;
  /** Hop.observedAddr / observedPort the tracer should report. */
  observed: Endpoint;
  /** Hop.leadsToAddr / leadsToPort; null when the hop ends at a subscriber. */
  leadsTo: Endpoint | null;
  /** Set where the provider's records carry one (access sessions, VPN accounts). */
  subscriberHandle: string | null;
  /** Raw eventIds of the records that prove the hop (ingest keeps eventIds); `rule:<provider>:<prefix>` for RFC 7422. */
  evidenceEventIds: string[];
  /** Scenario withhold step that delays this hop's records, if any. */
  step: ChainStep | null;
}

export interface Decoy {
  /** previous-block-holder, block-neighbours, previous-address-holder, previous-exit-port-holder, exit-neighbours, relay-inbound-noise, ... */
  kind: string;
  description: string;
  eventIds: string[];
}

export interface AttackTruth {
  attack: string;
  traceId: string;
  /** The request as the simulator produces it to trace.requests (when configured to). */
  request: TraceRequest;
  /** True UTC ms of the attack connection, and of the victim's observation. */
  connection: { start: number; end: number; observedAt: number; protocol: number };
  /** The true chain, depth order. */
  hops: TruthHop[];
  /** Where the chain ends: the subscriber really behind the attack. */
  terminal: { jurisdiction: string; providerId: string; subscriberHandle: string };
  decoys: Decoy[];
}

export interface GroundTruth {
  scenario: string;
  description: string;
  seed: number;
  runId: string;
  /** Wall-clock start of the run (t0), UTC ms, and its planned length. */
  startedAt: number;
  durationMs: number;
  backgroundEventsPerSecond: number;
  traces: AttackTruth[];
  /** Filled in when the run ends. */
  run: null | { stoppedAt: number; produced: Record<string, number>; traceRequestsProduced: number };
}

/** The ground truth of a run as planned (run: null until it ends). */
export function groundTruthOf(p: { scenario: { name: string; description: string; seed: number; durationMs: number }; runId: string; t0: number; rate: number; traces: AttackTruth[] }): GroundTruth {
  return {
    scenario: p.scenario.name, description: p.scenario.description, seed: p.scenario.seed, runId: p.runId, startedAt: p.t0,
    durationMs: p.scenario.durationMs, backgroundEventsPerSecond: p.rate, traces: p.traces, run: null,
  };
}
