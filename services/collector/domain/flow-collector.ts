// The flow side of the collector without sockets: one IPFIX / NetFlow v9 packet from an
// address in, FlowEvents / SessionEvents and dead letters out. Every packet ends up
// decoded, buffered (data before its template), counted as ignored, or dead-lettered
// with a reason: nothing it is given can throw out of handle(). Pure: time is passed in.
import { CrosstraceError, type ErrorCode } from '../../common/errors.ts';
import { parseIpfix, parseNetflow9, type ExportMessage } from './export-messages.ts';
import { mapRecord, recordId, type ExporterRef, type Mapped } from './flow-mapping.ts';
import { createTemplateSession, type DroppedSet } from './template-session.ts';
import { createTemplateStore } from './templates.ts';

export type FlowProtocol = 'ipfix' | 'netflow9';

export interface FlowPacket {
  protocol: FlowProtocol;
  transport: 'udp' | 'tcp';
  /** Canonical source address. */
  from: string;
  /** TCP: the connection (templates live as long as it); UDP: unset. */
  session?: string;
  bytes: Buffer;
  receivedAt: number;
}

export interface DeadLetterOut { code: ErrorCode; reason: string; bytes: Buffer; exporterId: string | null }

export interface FlowOutcome {
  /** Exporter id, or the source address when unknown (metrics label). */
  exporter: string;
  known: boolean;
  events: Exclude<Mapped, { ignored: string } | { unmapped: string }>[];
  dead: DeadLetterOut[];
  records: number;
  templates: number;
  withdrawn: number;
  buffered: number;
  ignored: number;
  options: number;
}

export interface FlowCollectorOptions {
  resolve(addr: string, domain: number): ExporterRef | undefined;
  maxPending?: number;
  pendingTimeoutMs?: number;
  maxScopes?: number;
}

export function createFlowCollector(o: FlowCollectorOptions) {
  const maxScopes = o.maxScopes ?? 10_000;
  const session = createTemplateSession<ExporterRef>({ store: createTemplateStore({ maxScopes }), maxPending: o.maxPending, pendingTimeoutMs: o.pendingTimeoutMs });
  const systemInit = new Map<string, number>();

  const empty = (exporter: string, known: boolean): FlowOutcome => ({ exporter, known, events: [], dead: [], records: 0, templates: 0, withdrawn: 0, buffered: 0, ignored: 0, options: 0 });
  const deadOf = (d: DroppedSet<ExporterRef>): DeadLetterOut => ({ code: d.code, reason: d.reason, bytes: d.bytes, exporterId: d.tag.exporterId });

  function handle(p: FlowPacket): FlowOutcome {
    let msg: ExportMessage;
    try {
      msg = p.protocol === 'ipfix' ? parseIpfix(p.bytes) : parseNetflow9(p.bytes);
    } catch (e) {
      const out = empty(p.from, false);
      out.dead.push(failure(e, p.bytes, null));
      return out;
    }
    const ex = o.resolve(p.from, msg.header.domain);
    if (!ex) {
      const out = empty(p.from, false);
      out.dead.push({ code: 'CT_UNKNOWN_EXPORTER', reason: `no exporter ${p.from}#${msg.header.domain} or ${p.from} in the provider registry`, bytes: p.bytes, exporterId: null });
      return out;
    }
    const out = empty(ex.exporterId, true);
    const scope = `${p.protocol}|${p.transport}|${p.session ?? p.from}|${msg.header.domain}`;
    let r;
    try {
      r = session.apply(scope, msg, p.bytes, ex, p.receivedAt);
    } catch (e) {
      out.dead.push(failure(e, p.bytes, ex.exporterId));
      return out;
    }
    out.templates = r.templatesLearned;
    out.withdrawn = r.withdrawn;
    out.buffered = r.buffered;
    out.dead.push(...r.dropped.map(deadOf));
    // options records first: a systemInitTimeMilliseconds applies to the data of the same message
    for (const rec of r.records) {
      if (!rec.options) continue;
      out.options++;
      if (rec.fields.systemInitMs !== undefined) {
        if (!systemInit.has(scope) && systemInit.size >= maxScopes) systemInit.delete(systemInit.keys().next().value!);
        systemInit.set(scope, rec.fields.systemInitMs);
      }
    }
    for (const rec of r.records) {
      if (rec.options) continue;
      out.records++;
      const m = mapRecord(rec.fields, rec.header, recordId(rec.header, rec.setIndex, rec.recordIndex), rec.tag, systemInit.get(scope));
      if ('ignored' in m) out.ignored++;
      else if ('unmapped' in m) out.dead.push({ code: 'CT_UNMAPPED_RECORD', reason: `template ${rec.templateId}: ${m.unmapped}`, bytes: rec.bytes, exporterId: ex.exporterId });
      else out.events.push(m);
    }
    return out;
  }

  function failure(e: unknown, bytes: Buffer, exporterId: string | null): DeadLetterOut {
    if (e instanceof CrosstraceError) return { code: e.code, reason: e.message, bytes, exporterId };
    // a decoder bug must not take the collector down: the packet is kept for replay
    return { code: 'CT_MALFORMED_PACKET', reason: `decoder failed: ${(e as Error)?.message ?? String(e)}`, bytes, exporterId };
  }

  return {
    handle,
    /** Data sets whose template did not come in time, as dead letters. */
    expire: (now: number): DeadLetterOut[] => session.expire(now).map(deadOf),
    /** A TCP connection closed: its templates go, its waiting sets are dead-lettered. */
    closeSession(protocol: FlowProtocol, sessionId: string): DeadLetterOut[] {
      const dead: DeadLetterOut[] = [];
      // scopes of a session are per domain; drop those we know of
      for (const key of [...systemInit.keys()]) if (key.startsWith(`${protocol}|tcp|${sessionId}|`)) systemInit.delete(key);
      dead.push(...session.dropSessionPrefix(`${protocol}|tcp|${sessionId}|`).map(deadOf));
      return dead;
    },
    pendingCount: session.pendingCount,
  };
}

export type FlowCollector = ReturnType<typeof createFlowCollector>;
