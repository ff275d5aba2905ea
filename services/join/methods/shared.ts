// Small rules the session descriptors share. Pure.
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import type { IndexedEvent, Lookup } from '../join-types.ts';

/** Provider part of a session key: sessions of two providers never pair or conflict. */
export const prov = (ev: SessionEvent): string => ev.providerId ?? `exporter:${ev.exporterId}`;
export const opt = (v: number | string | null): string => (v === null ? '*' : String(v));
/** Protocols agree when equal or when either side covers every protocol (null). */
export const protoOk = (a: number | null, b: number | null): boolean => a === null || b === null || a === b;

/** A session record wakes a session lookup (an overlapping block or another session on the
 *  address can end the one that holds the target). */
export const sessionWake = (l: Lookup, e: IndexedEvent): boolean => l.mode === 'session' && e.kind === 'session';

/** A NAT or VPN mapping of another port neither covers the looked-up port nor ends a session on it. */
export const portWake = (l: Lookup, e: IndexedEvent): boolean => sessionWake(l, e)
  && !(e.kind === 'session' && l.port !== null && e.ev.outsidePort !== null && e.ev.outsidePort !== l.port);
