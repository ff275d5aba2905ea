// A verified RADIUS Accounting-Request (RFC 2866) -> a sessions.raw ACCESS_SESSION record.
// Acct-Status-Type 1/3/2 -> START/INTERIM/STOP; Accounting-On/Off (7/8) name no session: they
// map to a NAS event that ends the NAS's open sessions (accounting-table.ts).
// eventTime is when the NAS sent the request on the collector's clock (ingest subtracts
// Acct-Delay-Time); with an Event-Timestamp (55) the NAS's own event time + the delay, so
// the same subtraction yields it. exportTime is the receipt: Event-Timestamp + delay is not a
// clock sample to trust (a NAS that stamps a resend time beside its delay would read minutes
// fast, and every NAS behind a RADIUS proxy shares the packet source, so one NAS's clock would
// move the others' records), so a NAS whose own clock is off is not corrected. The account
// name (User-Name, else Calling-Station-Id) never leaves as such: only a keyed pseudonym does.
// Pure (hashing only).
import { createHash } from 'node:crypto';
import type { SessionEvent } from '../../../schemas/types.gen.ts';
import type { NasEvent } from './accounting-table.ts';
import type { ExporterRef } from './flow-mapping.ts';
import type { RadiusAttribute } from './radius-packet.ts';
import { ipv4Text, ipv6Text } from './wire-values.ts';

export const ATTR = Object.freeze({
  USER_NAME: 1, NAS_IP_ADDRESS: 4, FRAMED_IP_ADDRESS: 8, CALLING_STATION_ID: 31, ACCT_STATUS_TYPE: 40, ACCT_DELAY_TIME: 41,
  ACCT_SESSION_ID: 44, ACCT_AUTHENTIC: 45, ACCT_SESSION_TIME: 46, EVENT_TIMESTAMP: 55, FRAMED_IPV6_PREFIX: 97, DELEGATED_IPV6_PREFIX: 123,
});
/** RFC 2865 5.8: 255.255.255.255 / .254 ask the NAS to choose an address; they name none. */
const NAS_CHOOSES = new Set(['255.255.255.255', '255.255.255.254']);
const ACTIONS: Record<number, SessionEvent['action']> = { 1: 'START', 3: 'INTERIM', 2: 'STOP' };

export type AccountingMapped = { value: SessionEvent; key: string } | { nas: NasEvent; key: string } | { ignored: string } | { unmapped: string };

/** RFC 3162 prefix attribute: reserved(1), prefix-length(1), prefix (<= 16 octets) -> CIDR text with host bits cleared. */
function prefixText(v: Buffer): string | undefined {
  if (v.length < 2 || v.length > 18) return undefined;
  const len = v[1]!;
  if (len > 128 || v.length - 2 < Math.ceil(len / 8)) return undefined;
  const bytes = Buffer.alloc(16);
  v.copy(bytes, 0, 2, 2 + Math.ceil(len / 8));
  if (len % 8) bytes[Math.floor(len / 8)]! &= (0xff << (8 - (len % 8))) & 0xff;
  return `${ipv6Text(bytes, 0)}/${len}`;
}

export function mapAccounting(
  attrs: RadiusAttribute[], receivedAt: number, ex: ExporterRef, pseudonym: (providerId: string, account: string) => string,
): AccountingMapped {
  const one = (t: number) => attrs.find((a) => a.type === t)?.value;
  const int = (t: number, name: string): number | undefined | string => {
    const v = one(t);
    if (v === undefined) return undefined;
    return v.length === 4 ? v.readUInt32BE(0) : `${name} has ${v.length} octets, not 4`;
  };
  const status = int(ATTR.ACCT_STATUS_TYPE, 'Acct-Status-Type');
  if (typeof status === 'string') return { unmapped: status };
  if (status === undefined) return { unmapped: 'no Acct-Status-Type' };
  const delay = int(ATTR.ACCT_DELAY_TIME, 'Acct-Delay-Time');
  if (typeof delay === 'string') return { unmapped: delay };
  const stamp = int(ATTR.EVENT_TIMESTAMP, 'Event-Timestamp');
  if (typeof stamp === 'string') return { unmapped: stamp };
  const digest = createHash('sha1');
  // retransmissions differ only in Acct-Delay-Time (RFC 2866 5.2): the id leaves it out, so ingest's dedupe drops them
  for (const a of attrs) if (a.type !== ATTR.ACCT_DELAY_TIME) digest.update(Buffer.from([a.type, a.value.length])).update(a.value);
  const eventTime = stamp !== undefined ? (stamp + (delay ?? 0)) * 1000 : receivedAt;
  if (status === 7 || status === 8) {
    return { nas: { exporterId: ex.exporterId, status, eventTime, acctDelayTime: delay ?? null, exportTime: receivedAt, eventId: `nas-${status}-${eventTime}-${digest.digest('hex').slice(0, 16)}` }, key: ex.providerId };
  }
  const action = ACTIONS[status];
  if (!action) return { unmapped: `Acct-Status-Type ${status} is not Start, Interim-Update or Stop` };
  const sid = one(ATTR.ACCT_SESSION_ID);
  if (!sid || sid.length === 0) return { unmapped: 'no Acct-Session-Id' };
  const framed = one(ATTR.FRAMED_IP_ADDRESS);
  if (framed && framed.length !== 4) return { unmapped: `Framed-IP-Address has ${framed.length} octets, not 4` };
  const prefixes: (string | null)[] = [];
  for (const [t, name] of [[ATTR.FRAMED_IPV6_PREFIX, 'Framed-IPv6-Prefix'], [ATTR.DELEGATED_IPV6_PREFIX, 'Delegated-IPv6-Prefix']] as const) {
    const v = one(t);
    const p = v && prefixText(v);
    if (v && !p) return { unmapped: `${name} is not a prefix` };
    prefixes.push(p ?? null);
  }
  const account = one(ATTR.USER_NAME) ?? one(ATTR.CALLING_STATION_ID);
  const acctSessionId = sid.toString('utf8');
  const value: SessionEvent = {
    eventId: `${acctSessionId}-${status}-${digest.digest('hex').slice(0, 16)}`, exporterId: ex.exporterId, exportTime: receivedAt,
    kind: 'ACCESS_SESSION', action, natEvent: null, eventTime, protocol: null, outsideAddr: null, outsidePort: null,
    portRangeStart: null, portRangeEnd: null, insideAddr: null, insidePort: null,
    framedIpAddress: framed && !NAS_CHOOSES.has(ipv4Text(framed, 0)) ? ipv4Text(framed, 0) : null, framedIpv6Prefix: prefixes[0]!, delegatedIpv6Prefix: prefixes[1]!,
    acctSessionId, acctDelayTime: delay ?? null,
    subscriberHandle: account && account.length > 0 ? pseudonym(ex.providerId, account.toString('utf8')) : null,
    jurisdiction: null, providerId: null, clockOffsetMs: 0,
  };
  return { value, key: ex.providerId };
}
