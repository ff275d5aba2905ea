// The RADIUS accounting side of the collector without sockets: one UDP datagram from an
// address in, a decision out. Order matters for trust: structure, then the NAS's shared
// secret and registry entry, then the authenticator; only a verified request is read any
// further. Duplicates (same source, Identifier and Request Authenticator, RFC 2866 4.1/5)
// within the window are answered again, never recorded twice. The caller sends `reply`
// only once the record (or its dead letter) is stored (RFC 2866 2: no response unless
// recorded), then calls acknowledged(). Pure: time is passed in.
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import type { ErrorCode } from '../../common/errors.ts';
import type { ExporterRef } from './flow-mapping.ts';
import { MalformedPacket } from './malformed.ts';
import { createAccountingTable } from './accounting-table.ts';
import { mapAccounting } from './radius-accounting.ts';
import { ACCOUNTING_REQUEST, accountingResponse, parseRadius, verifyAccountingRequest, type RadiusPacket } from './radius-packet.ts';

export interface RadiusDatagram { from: string; port: number; bytes: Buffer; receivedAt: number }

export type RadiusOutcome =
  /** `closes`: STOPs the accounting table synthesized (accounting-table.ts), recorded before `event`. */
  | { kind: 'record'; exporter: string; event: SessionEvent; closes: SessionEvent[]; key: string; reply: Buffer; dupKey: string }
  /** Accounting-On/Off of a NAS with open sessions: a STOP for each, answered once all are stored. */
  | { kind: 'closed'; exporter: string; events: SessionEvent[]; key: string; reply: Buffer; dupKey: string }
  /** Verified and acknowledged, nothing to record (Accounting-On/Off of a NAS with no open session known). */
  | { kind: 'ignored'; exporter: string; reason: string; reply: Buffer; dupKey: string }
  /** Verified but unusable: dead-lettered, then acknowledged (the NAS must stop resending it). */
  | { kind: 'dead'; exporter: string; code: ErrorCode; reason: string; bytes: Buffer; reply: Buffer | null; dupKey: string | null }
  /** A retransmission: `reply` is the earlier answer (null while the first is still being stored). */
  | { kind: 'duplicate'; exporter: string; reply: Buffer | null }
  /** Not trusted (wrong secret or altered): dropped, counted, no answer. */
  | { kind: 'refused'; exporter: string; code: ErrorCode; reason: string };

export interface RadiusCollectorOptions {
  /** The shared secret of the NAS at this address, if any. */
  secretFor(addr: string): Buffer | undefined;
  resolve(addr: string): ExporterRef | undefined;
  pseudonym(providerId: string, account: string): string;
  /** How long a request is remembered as a possible duplicate, ms. Default 60 000. */
  duplicateWindowMs?: number;
  /** Most requests remembered. Default 100 000. */
  maxRemembered?: number;
  /** Most open sessions remembered for Accounting-On/Off and re-addressing. Default 1 000 000. */
  maxOpenSessions?: number;
}

export function createRadiusCollector(o: RadiusCollectorOptions) {
  const window = o.duplicateWindowMs ?? 60_000;
  const max = o.maxRemembered ?? 100_000;
  const seen = new Map<string, { at: number; reply: Buffer | null }>();
  const table = createAccountingTable({ maxSessions: o.maxOpenSessions });

  function remember(key: string, now: number) {
    for (const [k, v] of seen) { if (now - v.at < window && seen.size < max) break; seen.delete(k); }
    seen.set(key, { at: now, reply: null });
  }

  function handle(d: RadiusDatagram): RadiusOutcome {
    let p: RadiusPacket;
    try {
      p = parseRadius(d.bytes);
      if (p.code !== ACCOUNTING_REQUEST) throw new MalformedPacket('CT_MALFORMED_PACKET', `RADIUS code ${p.code} is not Accounting-Request (4)`);
    } catch (e) {
      return { kind: 'dead', exporter: d.from, code: 'CT_MALFORMED_PACKET', reason: (e as Error).message, bytes: d.bytes, reply: null, dupKey: null };
    }
    const secret = o.secretFor(d.from);
    const ex = o.resolve(d.from);
    if (!secret || !ex) {
      const why = !secret ? 'no shared secret configured for NAS' : 'NAS not in the provider registry:';
      return { kind: 'dead', exporter: d.from, code: 'CT_UNKNOWN_EXPORTER', reason: `${why} ${d.from}`, bytes: d.bytes, reply: null, dupKey: null };
    }
    if (!verifyAccountingRequest(p, secret)) {
      return { kind: 'refused', exporter: ex.exporterId, code: 'CT_BAD_AUTHENTICATOR', reason: `Request Authenticator from ${d.from} does not verify with its shared secret` };
    }
    const dupKey = `${d.from}|${d.port}|${p.identifier}|${p.authenticator.toString('hex')}`;
    const earlier = seen.get(dupKey);
    if (earlier && d.receivedAt - earlier.at < window) return { kind: 'duplicate', exporter: ex.exporterId, reply: earlier.reply };
    remember(dupKey, d.receivedAt);
    const reply = accountingResponse(p, secret);
    const m = mapAccounting(p.attributes, d.receivedAt, ex, o.pseudonym);
    if ('ignored' in m) return { kind: 'ignored', exporter: ex.exporterId, reason: m.ignored, reply, dupKey };
    if ('unmapped' in m) return { kind: 'dead', exporter: ex.exporterId, code: 'CT_UNMAPPED_RECORD', reason: m.unmapped, bytes: d.bytes, reply, dupKey };
    if ('nas' in m) {
      const events = table.nasEvent(m.nas);
      if (events.length === 0) return { kind: 'ignored', exporter: ex.exporterId, reason: `Acct-Status-Type ${m.nas.status} (Accounting-On/Off): no open session of this NAS known`, reply, dupKey };
      return { kind: 'closed', exporter: ex.exporterId, events, key: m.key, reply, dupKey };
    }
    const event = table.complete(m.value);
    return { kind: 'record', exporter: ex.exporterId, event, closes: table.observe(event), key: m.key, reply, dupKey };
  }

  return {
    handle,
    /** The reply for dupKey was sent: a retransmission gets it again. */
    acknowledged(dupKey: string, reply: Buffer) { const e = seen.get(dupKey); if (e) e.reply = reply; },
    /** Storing failed: forget the request so the NAS's retransmission is recorded. */
    forget(dupKey: string) { seen.delete(dupKey); },
  };
}

export type RadiusCollector = ReturnType<typeof createRadiusCollector>;
