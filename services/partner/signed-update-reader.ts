// Reads a SignedTraceUpdate from trace.updates.<CC> the way a verifier must: the view is
// decoded from signedBytes (with the writer schema their id names, so a view written under an
// older or newer TraceUpdate schema decodes and its signature still verifies: the signature is
// over those bytes, not over a re-encoding), and the copy of the view the message also
// carries is dropped. When signedBytes do not decode, `viewProblem` says why and the check
// rejects the update as malformed (domain/update-check.ts).
import type { SignedTraceUpdate, TraceUpdate } from '../../schemas/types.gen.ts';
import { CrosstraceError } from '../common/errors.ts';
import type { RegistryClient } from '../common/registry.ts';
import { TOPICS } from '../common/topics.ts';

export type ReadSignedUpdate = SignedTraceUpdate & { viewProblem?: string };

export async function readSignedUpdate(registry: RegistryClient, topic: string, value: Buffer | null): Promise<ReadSignedUpdate> {
  const outer = await registry.decode<SignedTraceUpdate>(topic, value);
  if (outer.signedBytes.length === 0) return outer;
  try {
    return { ...outer, update: await registry.decode<TraceUpdate>(TOPICS.traceUpdates, outer.signedBytes) };
  } catch (e) {
    if (e instanceof CrosstraceError && e.retriable) throw e; // registry down: the follower retries
    return { ...outer, viewProblem: `signedBytes do not decode as a TraceUpdate: ${(e as Error).message}` };
  }
}
