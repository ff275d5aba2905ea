// Rendering of verified trace views for `crosstrace watch`: the full screen (one block per
// trace, redrawn in place on a TTY) and one plain line per update (pipes, CI). Pure: the
// caller passes `now` (for "last seen 3s ago") and gets text back. A subscriber handle is
// shown only when the view carries one (only the provider's own jurisdiction ever gets it).
import type { AwaitedLookup, Hop, TraceUpdate } from '../../../schemas/types.gen.ts';
import type { Rejection, TraceEntry } from './watch-state.ts';

export const CLEAR_HOME = '\x1b[2J\x1b[H';

/** `addr:port`, `[v6]:port`, or the bare address when the port is unknown. */
export function endpoint(addr: string, port: number | null): string {
  if (port === null) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** A duration in the largest sensible unit: 850ms, 12s, 4m05s, 2h03m, 3d04h. */
export function duration(ms: number): string {
  const v = Math.max(0, Math.round(ms));
  if (v < 1000) return `${v}ms`;
  const s = Math.floor(v / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 23);

/** Where a hop leads: the next endpoint and/or the subscriber handle, or nothing known. */
export function leadsTo(h: Hop): string {
  const parts = [h.leadsToAddr === null ? '' : endpoint(h.leadsToAddr, h.leadsToPort), h.subscriberHandle === null ? '' : `subscriber ${h.subscriberHandle}`].filter(Boolean);
  return parts.length ? parts.join('  ') : '(end)';
}

export function hopLine(h: Hop, now: number): string {
  const depth = h.rank === 1 ? String(h.depth) : `${h.depth}#${h.rank}`;
  return [
    depth.padEnd(5), h.method.padEnd(17), `${h.jurisdiction}/${h.providerId}`.padEnd(20),
    `${endpoint(h.observedAddr, h.observedPort)} -> ${leadsTo(h)}`.padEnd(52),
    h.confidence.toFixed(2).padEnd(5), (h.active ? 'ACTIVE' : 'ended').padEnd(7), `seen ${duration(now - h.lastSeen)} ago`,
    ...(h.source === 'ARCHIVE' ? ['(from the archive)'] : []),
  ].join(' ');
}

export function awaitedLine(a: AwaitedLookup, now: number): string {
  const who = a.jurisdiction === null ? 'no known provider' : `${a.jurisdiction}/${a.providerId ?? '?'}`;
  return `awaiting ${who}: ${endpoint(a.addr, a.port)} in ${clock(a.windowFrom)}–${clock(a.windowTo)} UTC (waiting ${duration(now - a.since)})`;
}

/** One trace: header, hops ordered by depth then rank, open lookups, last change. */
export function renderChain(e: TraceEntry, now: number): string[] {
  const u = e.view;
  const expiry = u.expiresAt > now ? `expires in ${duration(u.expiresAt - now)}` : `expired ${duration(now - u.expiresAt)} ago`;
  const hops = [...u.hops].sort((a, b) => a.depth - b.depth || a.rank - b.rank);
  return [
    `trace ${u.traceId}  ${u.status}  seq ${u.seq}  case ${u.caseReference}  basis ${u.legalBasis}  requested by ${u.requestingJurisdiction}  ${expiry}`,
    ...(hops.length ? [`  ${'depth'.padEnd(5)} ${'method'.padEnd(17)} ${'where'.padEnd(20)} ${'observed -> leads to'.padEnd(52)} conf  state   last seen`] : ['  no hops visible yet']),
    ...hops.map((h) => `  ${hopLine(h, now)}`),
    ...u.awaiting.map((a) => `  ${awaitedLine(a, now)}`),
    `  last change ${duration(now - u.publishedAt)} ago: ${u.change}`,
  ];
}

export interface ScreenInfo {
  audience: string; topic: string; accepted: number; notes: string[]; waitingForAudit: number; bootstrapped: boolean;
  keyIds: string[];
  audit: { verified: number; unverified: number; lastProblem: string | null };
}

export function renderScreen(info: ScreenInfo, traces: TraceEntry[], rejections: readonly Rejection[], rejectedTotal: number, now: number): string {
  const lines = [
    `crosstrace watch ${info.audience}  ${info.topic}  ${traces.length} trace(s)  ${info.accepted} verified  ${rejectedTotal} REJECTED  ${info.bootstrapped ? 'live' : 'reading history…'}`,
    `trusted node keys ${info.keyIds.join(', ')}  audit records ${info.audit.verified} verified, ${info.audit.unverified} not${info.audit.lastProblem ? ` (last: ${info.audit.lastProblem})` : ''}`,
    ...(info.waitingForAudit ? [`${info.waitingForAudit} update(s) waiting for their audit record`] : []),
    ...info.notes.map((n) => `audit ${n}`),
    '',
  ];
  if (traces.length === 0) lines.push('no traces to show yet');
  for (const t of traces) lines.push(...renderChain(t, now), '');
  if (rejections.length) {
    lines.push('REJECTED updates (never shown as trace state):');
    for (const r of rejections) lines.push(`  ${clock(r.at)} trace ${r.traceId} seq ${r.seq}: ${r.code}: ${r.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

const compactHop = (h: Hop, now: number): string =>
  `${h.depth}${h.rank === 1 ? '' : `#${h.rank}`} ${h.method} ${h.jurisdiction}/${h.providerId} ${endpoint(h.observedAddr, h.observedPort)}->${leadsTo(h).replace(/ {2}/g, ' ')} conf=${h.confidence.toFixed(2)} ${h.active ? 'ACTIVE' : 'ended'} seen=${duration(now - h.lastSeen)}${h.source === 'ARCHIVE' ? ' from=archive' : ''}`;

/** One line for an accepted update (plain output). */
export function acceptedLine(audience: string, u: TraceUpdate, now: number): string {
  const hops = [...u.hops].sort((a, b) => a.depth - b.depth || a.rank - b.rank).map((h) => compactHop(h, now));
  const awaiting = u.awaiting.map((a) => `${a.jurisdiction ?? '?'}/${a.providerId ?? '?'} ${endpoint(a.addr, a.port)}`);
  return `${new Date(now).toISOString()} ${audience} VERIFIED trace=${u.traceId} seq=${u.seq} status=${u.status} case=${JSON.stringify(u.caseReference)} basis=${u.legalBasis}`
    + ` hops=[${hops.join('; ')}] awaiting=[${awaiting.join('; ')}] change=${JSON.stringify(u.change)}`;
}

/** One line for a rejected update (plain output). */
export function rejectedLine(audience: string, r: Rejection): string {
  return `${new Date(r.at).toISOString()} ${audience} REJECTED trace=${r.traceId} seq=${r.seq} code=${r.code} reason=${JSON.stringify(r.reason)}`;
}
