// The archive as a second source of window records for the tracer: the same read contract as a
// Redis window (services/join/join.ts ReadRange, nearest first, `truncated` when a part hit
// its limit), answered from PostgreSQL, so the join's matchers (resolveLookup) decide on
// archived records with exactly the rules they apply live. One difference, on purpose: a
// session lookup also gets every record of each session whose interval covers the lookup's
// address, port and window (one GiST probe on `sessions`), however far back its START lies
// and however busy the window is, where a Redis read could have cut it. Records pinned by an
// open preservation order are served too, after retention took the originals.
import type { Pool } from 'pg';
import type { Lookup } from '../join/join-types.ts';
import type { ReadRange } from '../join/join.ts';
import type { StoredEvent, StoredKind, WindowRead } from '../join/window-store.ts';

export interface HistorySource {
  read(key: string, l: Lookup, range: ReadRange): Promise<WindowRead>;
}

interface Row { uid: string; part: string; produced_at: Date; value: Buffer; dir?: string }

const iso = (ms: number): string => new Date(ms).toISOString();

// $1 window key, $2 from, $3 coreFrom, $4 coreTo, $5 to, $6 limit, [$7 scope, $8 addr, $9 port]
const nearest = (table: string, cols: string) => `
  (SELECT ${cols}, 'core' AS part FROM ${table} WHERE window_key = $1 AND at BETWEEN $3 AND $4 ORDER BY at LIMIT $6)
  UNION ALL
  (SELECT ${cols}, 'before' FROM ${table} WHERE window_key = $1 AND at >= $2 AND at < $3 ORDER BY at DESC LIMIT $6)
  UNION ALL
  (SELECT ${cols}, 'after' FROM ${table} WHERE window_key = $1 AND at > $4 AND at <= $5 ORDER BY at LIMIT $6)`;

const SESSION_READ = `${nearest('session_records', 'uid, produced_at, value')}
  UNION ALL
  (SELECT r.uid, r.produced_at, r.value, 'held' FROM sessions s
     JOIN session_records r ON r.session_key = s.session_key AND r.window_key = $1
    WHERE s.scope = $7 AND s.addr >>= $8::inet AND ($9::int IS NULL OR s.ports @> $9::int)
      AND s.valid && tstzrange($3, $4, '[]'))
  UNION ALL
  (SELECT p.uid, p.produced_at, p.value, 'preserved' FROM preserved_session_records p JOIN preservation_orders o USING (order_id)
    WHERE p.window_key = $1 AND o.released_at IS NULL AND o.expires_at > now()
      AND (p.at BETWEEN $2 AND $5 OR p.session_key IN (SELECT q.session_key FROM preserved_session_records q
            WHERE q.order_id = p.order_id AND q.window_key = $1 AND q.at BETWEEN $2 AND $5))
    ORDER BY p.at LIMIT $6)`;

// flows pinned by an open preservation order outlive their day partition (retention.ts)
const FLOW_READ = `${nearest('flow_records', 'uid, dir::text AS dir, produced_at, value')}
  UNION ALL
  (SELECT p.uid, p.dir::text, p.produced_at, p.value, 'preserved' FROM preserved_flow_records p JOIN preservation_orders o USING (order_id)
    WHERE p.window_key = $1 AND p.at BETWEEN $2 AND $5 AND o.released_at IS NULL AND o.expires_at > now() ORDER BY p.at LIMIT $6)`;

export function createHistorySource(pool: Pool): HistorySource {
  return {
    async read(key, l, range) {
      const base = [key, iso(range.from), iso(range.coreFrom), iso(range.coreTo), iso(range.to), range.limit];
      const rows = l.mode === 'relay'
        ? (await pool.query<Row>(FLOW_READ, base)).rows
        : (await pool.query<Row>(SESSION_READ, [...base, l.scopeProviderId ?? '', l.addr, l.port])).rows;
      const count = (part: string) => rows.filter((r) => r.part === part).length;
      const truncated = count('core') >= range.limit || count('before') >= range.limit || count('after') >= range.limit;
      const seen = new Set<string>();
      const events: StoredEvent[] = [];
      for (const r of rows) {
        const kind: StoredKind = l.mode === 'relay' ? (r.dir === 'i' ? 'flow-in' : 'flow-out') : 'session';
        const id = `${r.uid}:${kind}`;
        if (seen.has(id)) continue;
        seen.add(id);
        events.push({ kind, producedAt: r.produced_at.getTime(), value: r.value });
      }
      return { events, truncated };
    },
  };
}
