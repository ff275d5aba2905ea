// The hop methods, by method and by the session kind they read. The one list to extend.
import type { HopMethod, SessionKind } from '../../../schemas/types.gen.ts';
import { ACCESS_SESSION } from './access-session.ts';
import type { HopMethodDescriptor, KindSpec } from './descriptor.ts';
import { DETERMINISTIC_NAT } from './deterministic-nat.ts';
import { NAT_LOG } from './nat-log.ts';
import { PORT_BLOCK } from './port-block.ts';
import { RELAY_TIMING } from './relay-timing.ts';
import { VPN_SESSION } from './vpn-session.ts';

export const METHODS: Readonly<Record<HopMethod, HopMethodDescriptor>> = Object.freeze({
  NAT_LOG, PORT_BLOCK, ACCESS_SESSION, VPN_SESSION, RELAY_TIMING, DETERMINISTIC_NAT,
});

/** The descriptor reading each session kind. */
export const BY_KIND: Readonly<Record<SessionKind, HopMethodDescriptor & { session: KindSpec; defaultMaxSessionAgeMs: number }>> = Object.freeze({
  NAT_SESSION: NAT_LOG, PORT_BLOCK, ACCESS_SESSION, VPN_SESSION,
} as Record<SessionKind, HopMethodDescriptor & { session: KindSpec; defaultMaxSessionAgeMs: number }>);
