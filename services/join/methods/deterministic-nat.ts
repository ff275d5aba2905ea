// Hop method 5, deterministic NAT (RFC 7422): the provider publishes the mapping rule
// (deploy/providers.json deterministicNat), not logs; no record wakes it.
import type { HopMethodDescriptor } from './descriptor.ts';

export const DETERMINISTIC_NAT: HopMethodDescriptor = {
  method: 'DETERMINISTIC_NAT',
  reads: 'published-rule',
  indexedUnder: '(nothing: resolved from the provider registry)',
  wakes: () => false,
  onward: 'same-connection',
};
