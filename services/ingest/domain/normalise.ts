// Validation and normalisation of raw provider events (pure). Every rejection is a permanent
// CrosstraceError with a stable code; the caller dead-letters it. Output events carry
// corrected UTC ms, canonical addresses, jurisdiction and provider, and the window keys they
// are indexed under (the Kafka key of flows.norm / sessions.norm).
//
// Flows are indexed under their SOURCE and their DESTINATION address, but only for addresses
// the exporting provider itself serves (its own prefixes or its scoped inside space): relay
// timing needs a relay's inbound (dst = R) and outbound (src = R) flows in R's window, while
// the far ends belong to other providers whose own exporters index them. Sessions are indexed
// under the address a trace looks up: the outside address (NAT, port block, VPN exit) or the
// framed address / IPv6 prefixes (access).
import type { FlowEvent, Provider, SessionEvent } from '../../../schemas/types.gen.ts';
import { canonicalAddress, isScopedAddress, scopedWindowKey, windowKey, windowKeysForPrefix } from '../../common/address.ts';
import { CrosstraceError, permanent, type ErrorCode } from '../../common/errors.ts';
import type { ClockSkewEstimator } from './clock-skew.ts';
import { DEFAULT_SESSION_AGE_CEILING_MS, maxSessionAgeMs } from '../../join/methods/session-ages.ts';

export interface NormaliseOptions {
  /** How far past the receive time an event may claim to be, ms. Default 5 min. */
  futureToleranceMs: number;
  /** Flow records older than this (vs. receive time) are rejected: their window is gone, ms. Default 24 h. */
  retentionMs: number;
  /** Ceiling of the per-provider maximum session age (join/methods/session-ages.ts): a session
   *  record is rejected when older than the larger of its provider's age for its kind and the
   *  flow retention (a port block allocated days ago still names its holder; a NAT delete from
   *  this morning is still evidence), ms. Default 14 days. */
  maxSessionAgeMs: number;
  /** Largest RADIUS Acct-Delay-Time accepted, s. Default 1 day: RFC 2866 sets no ceiling, and a
   *  request buffered through an accounting outage comes hours late; a larger one is more
   *  likely a NAS's garbage than a buffer's, and would move its record days back. */
  maxAcctDelaySeconds: number;
  /** How far back the history store (services/archive) keeps records, ms: a record up to this
   *  old is accepted whatever the limits above (they bound what the LIVE windows hold; the
   *  correlator indexes only what they still cover, the archive keeps the rest: a provider's
   *  handover of last month's logs). 0 = no history store. Default 0. */
  historyMs: number;
}

export const DEFAULT_NORMALISE: Readonly<NormaliseOptions> = Object.freeze({
  futureToleranceMs: 5 * 60_000, retentionMs: 24 * 3_600_000, maxSessionAgeMs: DEFAULT_SESSION_AGE_CEILING_MS, maxAcctDelaySeconds: 86_400, historyMs: 0,
});

export interface IndexKey { key: string; dir: 'in' | 'out' | null }
export interface Normalised<T> { event: T; keys: IndexKey[] }

export interface NormaliseContext {
  byExporter(id: string): Provider | undefined;
  byAddress(addr: string): { provider: Provider } | undefined;
  skew: ClockSkewEstimator;
  opts: NormaliseOptions;
}

function fail(code: ErrorCode, msg: string, field?: string): never {
  throw permanent(code, msg, field ? { field } : {});
}

function addr(v: string, field: string): string {
  try { return canonicalAddress(v); } catch (e) {
    throw permanent('CT_INVALID_ADDRESS', `${field} ${JSON.stringify(v)} is not a valid IPv4/IPv6 address`, { field, cause: e });
  }
}

function optAddr(v: string | null, field: string): string | null {
  return v === null ? null : addr(v, field);
}

function port(v: number | null, field: string): number | null {
  if (v !== null && (!Number.isInteger(v) || v < 0 || v > 65535)) fail('CT_INVALID_PORT', `${field} ${v} is outside 0-65535`, field);
  return v;
}

function need<T>(v: T | null, field: string, kind: string): T {
  if (v === null) fail('CT_MISSING_FIELD', `${field} is required for ${kind}`, field);
  return v;
}

/** Checks an event time; `liveAgeMs`: how old it may be vs. receipt for the live windows (flow
 *  retention, or the provider's maximum session age for a session record); the history store's
 *  reach (historyMs), when longer, is the limit instead. */
function time(v: number, field: string, receivedAt: number, o: NormaliseOptions, liveAgeMs = o.retentionMs): number {
  if (!Number.isFinite(v) || v < 0) fail('CT_IMPOSSIBLE_TIME', `${field} ${v} is not a valid UTC ms time`, field);
  if (v > receivedAt + o.futureToleranceMs) fail('CT_IMPOSSIBLE_TIME', `${field} ${new Date(v).toISOString()} is ${v - receivedAt} ms after receipt (tolerance ${o.futureToleranceMs} ms)`, field);
  const maxAgeMs = Math.max(liveAgeMs, o.historyMs);
  const limit = maxAgeMs === o.historyMs ? 'the history store\'s retention' : maxAgeMs === o.retentionMs ? 'the flow retention' : 'the provider\'s maximum session age';
  if (v < receivedAt - maxAgeMs) fail('CT_TOO_OLD', `${field} ${new Date(v).toISOString()} is older than ${maxAgeMs} ms (${limit})`, field);
  return v;
}

function exporterOf(id: string, ctx: NormaliseContext): Provider {
  const p = ctx.byExporter(id);
  if (!p) fail('CT_UNKNOWN_EXPORTER', `exporter ${JSON.stringify(id)} is not in the provider registry`, 'exporterId');
  return p;
}

function offsetFor(exporterId: string, exportTime: number, receivedAt: number, ctx: NormaliseContext): number {
  const est = ctx.skew.observe(exporterId, exportTime, receivedAt);
  if (est.flagged) {
    fail('CT_CLOCK_FLAGGED', `exporter ${exporterId} clock is off by ${est.offsetMs} ms (> flag threshold); fix the exporter's clock, then replay from the DLQ`);
  }
  if (est.stepMs !== undefined) {
    fail('CT_CLOCK_STEP', `exporter ${exporterId} time lies ${est.stepMs} ms behind its clock estimate while it sends on: a delay or a clock stepped back (a DST change in local-time logs); its time is uncertain by that much: replay from the DLQ once the estimate has settled`);
  }
  return est.offsetMs;
}

/** Key for an address if the provider serves it (own prefix or scoped inside space), else null. */
function ownKey(a: string, p: Provider, ctx: NormaliseContext): string | null {
  const scoped = scopedWindowKey(a, p.providerId);
  if (scoped !== null) return scoped;
  return ctx.byAddress(a)?.provider.providerId === p.providerId ? windowKey(a, null) : null;
}

/** The key a session's address is indexed under: in its provider's scope when scoped. */
function keyOf(a: string, p: Provider): string {
  return scopedWindowKey(a, p.providerId) ?? windowKey(a, null);
}

export function normaliseFlow(raw: FlowEvent, receivedAt: number, ctx: NormaliseContext): Normalised<FlowEvent> {
  if (!raw.eventId) fail('CT_MISSING_FIELD', 'eventId is empty', 'eventId');
  const p = exporterOf(raw.exporterId, ctx);
  if (!Number.isInteger(raw.protocol) || raw.protocol < 0 || raw.protocol > 255) fail('CT_INVALID_PROTOCOL', `protocol ${raw.protocol} is outside 0-255`, 'protocol');
  if (raw.octets < 0 || raw.packets < 0) fail('CT_IMPOSSIBLE_TIME', 'octets and packets must be >= 0');
  const src = addr(raw.srcAddr, 'srcAddr');
  const dst = addr(raw.dstAddr, 'dstAddr');
  const off = offsetFor(raw.exporterId, raw.exportTime, receivedAt, ctx);
  const startTime = time(raw.startTime - off, 'startTime', receivedAt, ctx.opts);
  const endTime = time(raw.endTime - off, 'endTime', receivedAt, ctx.opts);
  if (startTime > endTime) fail('CT_IMPOSSIBLE_TIME', `startTime ${raw.startTime} is after endTime ${raw.endTime}`, 'startTime');
  const event: FlowEvent = {
    ...raw,
    srcAddr: src, srcPort: port(raw.srcPort, 'srcPort'), dstAddr: dst, dstPort: port(raw.dstPort, 'dstPort'),
    postNatSrcAddr: optAddr(raw.postNatSrcAddr, 'postNatSrcAddr'), postNatSrcPort: port(raw.postNatSrcPort, 'postNatSrcPort'),
    startTime, endTime, exportTime: raw.exportTime - off,
    jurisdiction: p.jurisdiction, providerId: p.providerId, clockOffsetMs: off,
  };
  const keys: IndexKey[] = [];
  const out = ownKey(src, p, ctx);
  if (out) keys.push({ key: out, dir: 'out' });
  const inn = ownKey(dst, p, ctx);
  if (inn) keys.push({ key: inn, dir: 'in' });
  return { event, keys };
}

export function normaliseSession(raw: SessionEvent, receivedAt: number, ctx: NormaliseContext): Normalised<SessionEvent> {
  if (!raw.eventId) fail('CT_MISSING_FIELD', 'eventId is empty', 'eventId');
  const p = exporterOf(raw.exporterId, ctx);
  if (raw.protocol !== null && (!Number.isInteger(raw.protocol) || raw.protocol < 0 || raw.protocol > 255)) fail('CT_INVALID_PROTOCOL', `protocol ${raw.protocol} is outside 0-255`, 'protocol');
  const off = offsetFor(raw.exporterId, raw.exportTime, receivedAt, ctx);
  let delayMs = 0;
  if (raw.acctDelayTime !== null) {
    // RFC 2866 5.2 sets no ceiling: a request buffered through an accounting outage (a NAS's
    // own buffer, a proxy's robust-proxy-accounting) arrives hours late with the delay it says
    if (!Number.isInteger(raw.acctDelayTime) || raw.acctDelayTime < 0 || raw.acctDelayTime > ctx.opts.maxAcctDelaySeconds) fail('CT_IMPOSSIBLE_TIME', `acctDelayTime ${raw.acctDelayTime} s is outside 0-${ctx.opts.maxAcctDelaySeconds}`, 'acctDelayTime');
    delayMs = raw.acctDelayTime * 1000;
  }
  const event: SessionEvent = {
    ...raw,
    eventTime: time(raw.eventTime - off - delayMs, 'eventTime', receivedAt, ctx.opts, Math.max(ctx.opts.retentionMs, maxSessionAgeMs(p, raw.kind, ctx.opts.maxSessionAgeMs))),
    exportTime: raw.exportTime - off,
    outsideAddr: optAddr(raw.outsideAddr, 'outsideAddr'), outsidePort: port(raw.outsidePort, 'outsidePort'),
    insideAddr: optAddr(raw.insideAddr, 'insideAddr'), insidePort: port(raw.insidePort, 'insidePort'),
    portRangeStart: port(raw.portRangeStart, 'portRangeStart'), portRangeEnd: port(raw.portRangeEnd, 'portRangeEnd'),
    framedIpAddress: optAddr(raw.framedIpAddress, 'framedIpAddress'),
    jurisdiction: p.jurisdiction, providerId: p.providerId, clockOffsetMs: off,
  };
  const keys = new Set<string>();
  switch (raw.kind) {
    case 'NAT_SESSION':
    case 'VPN_SESSION': {
      const o = need(event.outsideAddr, 'outsideAddr', raw.kind);
      need(event.insideAddr, 'insideAddr', raw.kind);
      if (raw.kind === 'NAT_SESSION') need(event.outsidePort, 'outsidePort', raw.kind);
      keys.add(keyOf(o, p));
      break;
    }
    case 'PORT_BLOCK': {
      const o = need(event.outsideAddr, 'outsideAddr', raw.kind);
      need(event.insideAddr, 'insideAddr', raw.kind);
      const lo = need(event.portRangeStart, 'portRangeStart', raw.kind);
      const hi = need(event.portRangeEnd, 'portRangeEnd', raw.kind);
      if (lo > hi) fail('CT_INVALID_PORT', `port range ${lo}-${hi} has lo > hi`, 'portRangeStart');
      keys.add(keyOf(o, p));
      break;
    }
    case 'ACCESS_SESSION': {
      need(raw.acctSessionId, 'acctSessionId', raw.kind);
      if (event.framedIpAddress) keys.add(keyOf(event.framedIpAddress, p));
      for (const [field, cidr] of [['framedIpv6Prefix', raw.framedIpv6Prefix], ['delegatedIpv6Prefix', raw.delegatedIpv6Prefix]] as const) {
        if (cidr === null) continue;
        try {
          const base = cidr.split('/')[0] ?? '';
          for (const k of windowKeysForPrefix(cidr, isScopedAddress(base) ? p.providerId : null)) keys.add(k);
        } catch (e) {
          if (e instanceof CrosstraceError) throw e;
          throw permanent('CT_INVALID_PREFIX', `${field} ${JSON.stringify(cidr)}: ${(e as Error).message}`, { field, cause: e });
        }
      }
      if (keys.size === 0) fail('CT_MISSING_FIELD', 'ACCESS_SESSION needs framedIpAddress, framedIpv6Prefix or delegatedIpv6Prefix', 'framedIpAddress');
      break;
    }
  }
  return { event, keys: [...keys].map((key) => ({ key, dir: null })) };
}
