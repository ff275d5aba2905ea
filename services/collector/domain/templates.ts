// Template state of one collector (RFC 7011 section 8, RFC 3954 section 5.2): per scope
// (transport + exporter address [+ TCP connection] + observation domain / source id) the
// templates and options templates in force. Bounded: at most `maxScopes` scopes and
// `maxPerScope` templates per scope, the oldest scope forgotten first. Pure.

/** One field specifier. length 65535 = variable length (IPFIX only). enterprise 0 = IANA. */
export interface FieldSpec { id: number; length: number; enterprise: number }

export interface Template {
  id: number;
  fields: FieldSpec[];
  /** Scope fields at the start (options templates); 0 for a data template. */
  scopeCount: number;
  options: boolean;
  /** Smallest encoded record, bytes (a variable-length field counts 1). */
  minLength: number;
}

export const VARIABLE = 65535;

export function makeTemplate(id: number, fields: FieldSpec[], scopeCount: number, options: boolean): Template {
  let minLength = 0;
  for (const f of fields) minLength += f.length === VARIABLE ? 1 : f.length;
  return { id, fields, scopeCount, options, minLength };
}

export interface TemplateStore {
  get(scope: string, id: number): Template | undefined;
  set(scope: string, t: Template): void;
  /** Withdraws one template; returns whether it existed. */
  withdraw(scope: string, id: number): boolean;
  /** Withdraws all data templates (options=false) or all options templates (options=true). */
  withdrawAll(scope: string, options: boolean): number;
  /** Forgets every scope starting with `prefix` (a TCP connection closed). */
  dropPrefix(prefix: string): void;
  size(): number;
}

export function createTemplateStore(o: { maxScopes?: number; maxPerScope?: number } = {}): TemplateStore {
  const maxScopes = o.maxScopes ?? 10_000;
  const maxPerScope = o.maxPerScope ?? 1024;
  const scopes = new Map<string, Map<number, Template>>();
  let total = 0;
  return {
    get: (scope, id) => scopes.get(scope)?.get(id),
    set(scope, t) {
      let m = scopes.get(scope);
      if (!m) {
        if (scopes.size >= maxScopes) {
          const [oldest, om] = scopes.entries().next().value!;
          total -= om.size;
          scopes.delete(oldest);
        }
        m = new Map();
        scopes.set(scope, m);
      }
      if (!m.has(t.id)) {
        if (m.size >= maxPerScope) { const first = m.keys().next().value!; m.delete(first); total--; }
        total++;
      }
      m.set(t.id, t);
    },
    withdraw(scope, id) {
      const m = scopes.get(scope);
      if (!m?.delete(id)) return false;
      total--;
      return true;
    },
    withdrawAll(scope, options) {
      const m = scopes.get(scope);
      if (!m) return 0;
      let n = 0;
      for (const [id, t] of m) if (t.options === options) { m.delete(id); n++; }
      total -= n;
      return n;
    },
    dropPrefix(prefix) {
      for (const [scope, m] of scopes) if (scope.startsWith(prefix)) { total -= m.size; scopes.delete(scope); }
    },
    size: () => total,
  };
}
