// Hop method 4, relay timing (stepping stone): the relay's outbound flow toward the known peer
// vs. its inbound flows overlapping in time (join/matchers/relay-timing.ts scores them).
// Opens on hosts whose provider exports flows (relay-hosts.ts), beside the session lookup.
import type { HopMethodDescriptor } from './descriptor.ts';

export const RELAY_TIMING: HopMethodDescriptor = {
  method: 'RELAY_TIMING',
  reads: 'flows',
  indexedUnder: 'srcAddr (dir out) and dstAddr (dir in), each only when the exporting provider serves it',
  // only flows feed relay timing
  wakes: (l, e) => l.mode === 'relay' && e.kind === 'flow',
  onward: 'new-connection',
};
