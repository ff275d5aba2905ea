// Applies parsed export messages to the template state, atomically per message: a message
// that turns out malformed half-way (a data record running past its set) changes nothing.
// Data sets whose template is not known yet wait in a bounded buffer (RFC 7011 8: templates
// may come after the data over UDP) until their template arrives, their timeout passes, or
// newer sets push them out; the last two are returned as dropped, never silently lost. Pure:
// time is passed in.
import { decodeDataSet, type RecordFields } from './data-records.ts';
import type { ExportHeader, ExportMessage } from './export-messages.ts';
import type { Template, TemplateStore } from './templates.ts';

export interface FlowRecord<T> {
  header: ExportHeader;
  tag: T;
  templateId: number;
  options: boolean;
  /** Position of the set in its message and of the record in its set: with the header, a stable id. */
  setIndex: number;
  recordIndex: number;
  fields: RecordFields;
  /** The record's own bytes (for dead-lettering it). */
  bytes: Buffer;
}

export interface DroppedSet<T> { tag: T; templateId: number; bytes: Buffer; reason: string; code: 'CT_NO_TEMPLATE' | 'CT_MALFORMED_PACKET' }

export interface ApplyResult<T> {
  records: FlowRecord<T>[];
  templatesLearned: number;
  withdrawn: number;
  buffered: number;
  /** Sets that waited for a template learned now and then failed to decode, or were pushed out. */
  dropped: DroppedSet<T>[];
}

interface Pending<T> { id: number; key: string; scope: string; header: ExportHeader; tag: T; templateId: number; setIndex: number; bytes: Buffer; at: number }

export interface TemplateSessionOptions {
  store: TemplateStore;
  /** Data sets held while their template is unknown, across all exporters. Default 4096. */
  maxPending?: number;
  /** How long a data set waits for its template, ms. Default 30 000. */
  pendingTimeoutMs?: number;
}

function records<T>(b: Buffer, start: number, end: number, t: Template, header: ExportHeader, tag: T, setIndex: number): FlowRecord<T>[] {
  return decodeDataSet(b, start, end, t).map((r, recordIndex) => ({
    header, tag, templateId: t.id, options: t.options, setIndex, recordIndex, fields: r.fields, bytes: b.subarray(r.start, r.end),
  }));
}

export function createTemplateSession<T>(o: TemplateSessionOptions) {
  const maxPending = o.maxPending ?? 4096;
  const timeout = o.pendingTimeoutMs ?? 30_000;
  const pending = new Map<number, Pending<T>>(); // insertion order = arrival order
  const byKey = new Map<string, Set<number>>();
  let nextId = 1;

  const unlink = (p: Pending<T>) => {
    pending.delete(p.id);
    const s = byKey.get(p.key);
    s?.delete(p.id);
    if (s?.size === 0) byKey.delete(p.key);
  };
  const dropOf = (p: Pending<T>, reason: string): DroppedSet<T> => ({ tag: p.tag, templateId: p.templateId, bytes: p.bytes, reason, code: 'CT_NO_TEMPLATE' });

  /** Decodes the sets that waited for `t` in `scope`. */
  function release(scope: string, t: Template, out: ApplyResult<T>): void {
    const ids = byKey.get(`${scope}#${t.id}`);
    if (!ids) return;
    for (const id of [...ids]) {
      const p = pending.get(id)!;
      unlink(p);
      try {
        out.records.push(...records(p.bytes, 0, p.bytes.length, t, p.header, p.tag, p.setIndex));
      } catch (e) {
        out.dropped.push({ tag: p.tag, templateId: t.id, bytes: p.bytes, reason: (e as Error).message, code: 'CT_MALFORMED_PACKET' });
      }
    }
  }

  return {
    apply(scope: string, msg: ExportMessage, b: Buffer, tag: T, now: number): ApplyResult<T> {
      const local = new Map<number, Template | null>();
      const wiped = { data: false, options: false };
      const lookup = (id: number): Template | undefined => {
        if (local.has(id)) return local.get(id) ?? undefined;
        const t = o.store.get(scope, id);
        return t && !(t.options ? wiped.options : wiped.data) ? t : undefined;
      };
      const out: ApplyResult<T> = { records: [], templatesLearned: 0, withdrawn: 0, buffered: 0, dropped: [] };
      const waiting: { templateId: number; start: number; end: number; setIndex: number }[] = [];
      for (const part of msg.parts) {
        if (part.kind === 'template') { local.set(part.template.id, part.template); out.templatesLearned++; }
        else if (part.kind === 'withdraw') { local.set(part.id, null); out.withdrawn++; }
        else if (part.kind === 'withdrawAll') {
          wiped[part.options ? 'options' : 'data'] = true;
          for (const [id, t] of local) if (t && t.options === part.options) local.set(id, null);
          out.withdrawn++;
        } else {
          const t = lookup(part.templateId);
          if (t) out.records.push(...records(b, part.start, part.end, t, msg.header, tag, part.index));
          else waiting.push({ templateId: part.templateId, start: part.start, end: part.end, setIndex: part.index });
        }
      }
      // the whole message decoded: commit
      if (wiped.data) o.store.withdrawAll(scope, false);
      if (wiped.options) o.store.withdrawAll(scope, true);
      for (const [id, t] of local) {
        if (t) o.store.set(scope, t); else o.store.withdraw(scope, id);
      }
      for (const w of waiting) {
        if (pending.size >= maxPending) {
          const oldest = pending.values().next().value!;
          unlink(oldest);
          out.dropped.push(dropOf(oldest, `pending buffer full (${maxPending} sets): template ${oldest.templateId} never came`));
        }
        const p: Pending<T> = {
          id: nextId++, key: `${scope}#${w.templateId}`, scope, header: msg.header, tag, templateId: w.templateId, setIndex: w.setIndex,
          bytes: Buffer.from(b.subarray(w.start, w.end)), at: now,
        };
        pending.set(p.id, p);
        let s = byKey.get(p.key);
        if (!s) byKey.set(p.key, (s = new Set()));
        s.add(p.id);
        out.buffered++;
      }
      // sets that waited (in earlier messages, or earlier in this one) for a template learned now
      for (const t of local.values()) if (t) release(scope, t, out);
      return out;
    },
    /** Drops the sets that waited longer than the timeout. */
    expire(now: number): DroppedSet<T>[] {
      const out: DroppedSet<T>[] = [];
      for (const p of pending.values()) {
        if (now - p.at < timeout) break;
        unlink(p);
        out.push(dropOf(p, `template ${p.templateId} did not arrive within ${timeout} ms`));
      }
      return out;
    },
    /** Forgets the scopes starting with `prefix` (a TCP connection closed); their waiting sets are returned as dropped. */
    dropSessionPrefix(prefix: string): DroppedSet<T>[] {
      o.store.dropPrefix(prefix);
      const out: DroppedSet<T>[] = [];
      for (const p of [...pending.values()]) if (p.scope.startsWith(prefix)) { unlink(p); out.push(dropOf(p, 'the TCP connection closed before the template came')); }
      return out;
    },
    pendingCount: () => pending.size,
  };
}

export type TemplateSession<T> = ReturnType<typeof createTemplateSession<T>>;
