// Small rules the session descriptors share. Pure.
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import type { IndexedEvent, Lookup } from '../join-types.ts';

/** Provider part of a session key: sessions of two providers never pair or conflict. */
export const prov = (ev: SessionEvent): string => ev.providerId ?? `exporter:${ev.exporterId}`;
export const opt = (v: number | string | null): string => (v === null ? '*' : String(v));
/** A record and a lookup agree on the protocol when equal or when either does not say (null). */
export const protoOk = (a: number | null, b: number | null): boolean => a === null || b === null || a === b;
/** Two NAT or VPN mappings of one address and port end each other only on the same protocol:
 *  TCP and UDP ports are mapped apart (RFC 4787/5382), and a record that does not say its
 *  protocol (a syslog format without it beside IPFIX with protocolIdentifier) may be the other
 *  protocol's mapping, held at the same time. Two records that both leave it out come from one
 *  format, which then logs the port's holder as one, and do end each other. */
export const sameProto = (a: number | null, b: number | null): boolean => a === b;
/** Two records can be of one client's session: the same client address, port and account
 *  where both name one. */
export const sameClient = (a: SessionEvent, b: SessionEvent): boolean => a.insideAddr === b.insideAddr
  && (a.insidePort === null || b.insidePort === null || a.insidePort === b.insidePort)
  && (a.subscriberHandle === null || b.subscriberHandle === null || a.subscriberHandle === b.subscriberHandle);

/** A session record wakes a session lookup (an overlapping block or another session on the
 *  address can end the one that holds the target). */
export const sessionWake = (l: Lookup, e: IndexedEvent): boolean => l.mode === 'session' && e.kind === 'session';

/** A NAT or VPN mapping of another port neither covers the looked-up port nor ends a session on it. */
export const portWake = (l: Lookup, e: IndexedEvent): boolean => sessionWake(l, e)
  && !(e.kind === 'session' && l.port !== null && e.ev.outsidePort !== null && e.ev.outsidePort !== l.port);
