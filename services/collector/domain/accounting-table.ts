// The accounting server's table of open sessions per NAS, as FreeRADIUS keeps it in radacct:
// what the collector has to remember so that two RADIUS events that name no address of the
// session they end still end it where a trace looks (the window of each address):
// - Accounting-On / Accounting-Off (Acct-Status-Type 7/8, RFC 2866 5.1): the NAS booted or is
//   going down, so every session it had open is over (FreeRADIUS accounting_onoff_query closes
//   them all). Their Stops are never sent. The table answers one STOP per open session of that
//   NAS, at the On/Off's time, carrying the session's own address, prefixes and holder.
// - an Interim-Update or Stop that names no address at all (RFC 2866 5.13; a NAS that puts
//   them in the Start only): it is completed with the session's own (`complete`).
// - an Interim-Update or Stop whose Framed-IP-Address / prefixes differ from the session's
//   earlier record, naming the same holder (the BNG re-addressed the session): the old address
//   is given up. That record is indexed under the new address only, so the table answers a STOP
//   of the old record at the new record's time for the old address's window.
// A synthesized STOP's time is an upper bound of the end (the NAS went down, or the address
// moved, at or before it), so it names only the claims no other session of the NAS took since
// the session's last record: the join reads a STOP after another holder's START as the old
// holder's own evidence (both claimed the address: AMBIGUOUS), while the other's START alone
// already ends the old claim there. A record of another holder under a reused Acct-Session-Id, or one
// that only adds a claim, synthesizes nothing (the join judges those where both are seen).
// Times are compared after Acct-Delay-Time (the time ingest will give the record); a record
// older than the table's (UDP reordering) changes nothing. Bounded: the oldest entries go first.
// Held in memory: sessions opened before a collector restart are not closed by a later
// Accounting-On (their lost Stops stay lost, as before). Pure: no I/O, time passed in.
import type { SessionEvent } from '../../../schemas/types.gen.ts';

/** Time ingest gives a record: eventTime less Acct-Delay-Time. */
const timeOf = (ev: SessionEvent) => ev.eventTime - (ev.acctDelayTime ?? 0) * 1000;

/** What an access record claims (address and prefixes), as text for comparison. */
const claimsOf = (ev: SessionEvent): string[] => [ev.framedIpAddress, ev.framedIpv6Prefix, ev.delegatedIpv6Prefix].flatMap((c) => (c === null ? [] : [c.toLowerCase()]));

export interface AccountingTableOptions {
  /** Most open sessions remembered over all NASes. Default 1 000 000. */
  maxSessions?: number;
  /** A session's record older than this does not complete a later address-less record (its
   *  Stop was lost, its Acct-Session-Id may be reused), ms. Default 14 days. */
  maxSessionAgeMs?: number;
}

export interface NasEvent {
  exporterId: string;
  /** 7 = Accounting-On, 8 = Accounting-Off. */
  status: 7 | 8;
  /** As a mapped record's: when the NAS sent it, on the collector's clock (Event-Timestamp + delay when given). */
  eventTime: number;
  acctDelayTime: number | null;
  exportTime: number;
  /** Unique per request (the synthesized STOPs' ids derive from it). */
  eventId: string;
}

export function createAccountingTable(o: AccountingTableOptions = {}) {
  const max = o.maxSessions ?? 1_000_000;
  const maxAge = o.maxSessionAgeMs ?? 14 * 86_400_000;
  /** `${exporterId}\n${acctSessionId}` -> the session's latest record (insertion order = age). */
  const open = new Map<string, SessionEvent>();
  const keyOf = (ev: SessionEvent) => `${ev.exporterId}\n${ev.acctSessionId ?? ''}`;
  /** `${exporterId}\n${claim}` -> the session that last claimed it (START/INTERIM) and when. */
  const claimedBy = new Map<string, { key: string; at: number }>();
  /** Another session of the NAS claimed it since `was`'s record (and, with `before`, at or before that time). */
  const taken = (was: SessionEvent, claim: string | null, before = Infinity) => {
    if (claim === null) return false;
    const c = claimedBy.get(`${was.exporterId}\n${claim.toLowerCase()}`);
    return c !== undefined && c.key !== keyOf(was) && c.at >= timeOf(was) && c.at <= before;
  };

  /** A STOP of `was` at `at`'s time naming only the claims nobody else took since; null if none is left. */
  const stopOf = (was: SessionEvent, at: Pick<SessionEvent, 'eventTime' | 'acctDelayTime' | 'exportTime'>, eventId: string): SessionEvent | null => {
    const stop: SessionEvent = {
      ...was, eventId, action: 'STOP', eventTime: at.eventTime, acctDelayTime: at.acctDelayTime, exportTime: at.exportTime,
      framedIpAddress: taken(was, was.framedIpAddress) ? null : was.framedIpAddress,
      framedIpv6Prefix: taken(was, was.framedIpv6Prefix) ? null : was.framedIpv6Prefix,
      delegatedIpv6Prefix: taken(was, was.delegatedIpv6Prefix) ? null : was.delegatedIpv6Prefix,
    };
    return claimsOf(stop).length > 0 ? stop : null;
  };

  return {
    /** An Interim-Update or Stop that names no address or prefix (RFC 2866 5.13: a NAS may put
     *  them in the Start only) of a session on record, naming no other holder: the record with
     *  the session's own claims (those no other session of the NAS took since) and holder, as
     *  FreeRADIUS' radacct row has them. Otherwise the record as it is. Call before `observe`. */
    complete(ev: SessionEvent): SessionEvent {
      if (ev.kind !== 'ACCESS_SESSION' || ev.acctSessionId === null || ev.action === 'START' || claimsOf(ev).length > 0) return ev;
      const was = open.get(keyOf(ev));
      if (was === undefined || timeOf(ev) < timeOf(was) || timeOf(ev) - timeOf(was) > maxAge) return ev;
      if (ev.subscriberHandle !== null && was.subscriberHandle !== null && ev.subscriberHandle !== was.subscriberHandle) return ev;
      // only the claims no other session of the NAS took between (as a synthesized STOP's; a
      // claim after this record's time is the next holder's, this Stop arriving late)
      const filled: SessionEvent = {
        ...ev, subscriberHandle: ev.subscriberHandle ?? was.subscriberHandle,
        framedIpAddress: taken(was, was.framedIpAddress, timeOf(ev)) ? null : was.framedIpAddress,
        framedIpv6Prefix: taken(was, was.framedIpv6Prefix, timeOf(ev)) ? null : was.framedIpv6Prefix,
        delegatedIpv6Prefix: taken(was, was.delegatedIpv6Prefix, timeOf(ev)) ? null : was.delegatedIpv6Prefix,
      };
      return claimsOf(filled).length > 0 ? filled : ev;
    },
    /** A mapped Start / Interim-Update / Stop: the STOPs to record before it (none or one). */
    observe(ev: SessionEvent): SessionEvent[] {
      if (ev.kind !== 'ACCESS_SESSION' || ev.acctSessionId === null) return [];
      const key = keyOf(ev);
      const was = open.get(key);
      if (was !== undefined && timeOf(ev) < timeOf(was)) return []; // reordered: an older record
      const out: SessionEvent[] = [];
      if (was !== undefined && ev.action !== 'START' && timeOf(ev) > timeOf(was) && was.subscriberHandle !== null && was.subscriberHandle === ev.subscriberHandle) {
        const now = new Set(claimsOf(ev));
        const stop = claimsOf(was).every((c) => now.has(c)) ? null : stopOf(was, ev, `${ev.eventId}~readdressed~${was.eventId}`);
        if (stop) out.push(stop);
      }
      open.delete(key);
      if (ev.action !== 'STOP') {
        open.set(key, ev);
        for (const c of claimsOf(ev)) {
          const k = `${ev.exporterId}\n${c}`;
          claimedBy.delete(k);
          claimedBy.set(k, { key, at: timeOf(ev) });
        }
        for (const k of open.keys()) { if (open.size <= max) break; open.delete(k); }
        for (const k of claimedBy.keys()) { if (claimedBy.size <= 3 * max) break; claimedBy.delete(k); }
      }
      return out;
    },
    /** Accounting-On/Off of a NAS: a STOP for each of its sessions opened before it; they are forgotten. */
    nasEvent(e: NasEvent): SessionEvent[] {
      const t = e.eventTime - (e.acctDelayTime ?? 0) * 1000;
      const out: SessionEvent[] = [];
      for (const [k, was] of open) {
        if (was.exporterId !== e.exporterId || timeOf(was) >= t) continue;
        const stop = stopOf(was, e, `${e.eventId}~${e.status === 7 ? 'accounting-on' : 'accounting-off'}~${was.acctSessionId ?? ''}`);
        if (stop) out.push(stop);
        open.delete(k);
      }
      return out;
    },
    size: () => open.size,
  };
}

export type AccountingTable = ReturnType<typeof createAccountingTable>;
