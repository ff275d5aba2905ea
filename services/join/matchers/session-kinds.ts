// What each session kind means for a lookup — which records concern the looked-up endpoint,
// how START / INTERIM / STOP pair up, which sessions exclude each other, and where a session
// leads — declared with each hop method in services/join/methods/. Used by session-match.ts.
import type { SessionKind } from '../../../schemas/types.gen.ts';
import type { KindSpec } from '../methods/descriptor.ts';
import { BY_KIND } from '../methods/index.ts';

export type { KindSpec, Target } from '../methods/descriptor.ts';
export { accessClaims } from '../methods/access-session.ts';

export const KIND_SPECS: Readonly<Record<SessionKind, KindSpec>> = Object.freeze({
  NAT_SESSION: BY_KIND.NAT_SESSION.session, PORT_BLOCK: BY_KIND.PORT_BLOCK.session,
  ACCESS_SESSION: BY_KIND.ACCESS_SESSION.session, VPN_SESSION: BY_KIND.VPN_SESSION.session,
});
