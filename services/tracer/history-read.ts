// The tracer's hook into the archive: after a lookup's live window read, decide whether the
// archive is asked too (domain/history-policy.ts), read it, and resolve the lookup once more on
// the live records plus the archived ones with the SAME matchers (join/join.ts
// resolveLookup). Hops the live records alone do not yield are credited to the archive.
// An archive that cannot be read never fails the pass: the live answer stands, marked
// incomplete, so nothing found earlier (perhaps from the archive) is superseded by it.
import type { Counter, Histogram } from 'prom-client';
import type { Hop } from '../../schemas/types.gen.ts';
import { toIndexed } from '../join/indexed-events.ts';
import { resolveLookup, type JoinSettings, type ReadRange } from '../join/join.ts';
import type { IndexedEvent, Lookup } from '../join/join-types.ts';
import type { Logger } from '../common/logger.ts';
import type { ProviderDirectory } from '../common/provider-directory.ts';
import type { RegistryClient } from '../common/registry.ts';
import { archiveRechecks, hopSource, wantsArchive } from './domain/history-policy.ts';
import type { HistorySource } from './history-lookup.ts';

export interface ArchiveLookups {
  source: HistorySource;
  /** How long the live windows keep records (the join's RETENTION_MS), ms. */
  liveRetentionMs: number;
  reads: Counter<'result'>;
  readSeconds: Histogram;
  hops: Counter<'method'>;
  /** Open ends older than the live windows are re-read from the archive this often, ms. */
  recheckEveryMs: number;
  /** lookupId -> when it was last re-read (engine memory; entries idle for 10 periods go). */
  rechecked: Map<string, number>;
}

/** The open ends of a chain due for an archive re-read now (and notes that they were). */
export function archiveRecheck<L extends Lookup>(a: ArchiveLookups, open: readonly L[], now: number): L[] {
  for (const [id, at] of a.rechecked) if (now - at > 10 * a.recheckEveryMs) a.rechecked.delete(id);
  const due = archiveRechecks(open, now, a.liveRetentionMs, a.recheckEveryMs, a.rechecked);
  for (const l of due) a.rechecked.set(l.lookupId, now);
  return due;
}

export interface ArchiveReadInput {
  lookup: Lookup; key: string; range: ReadRange;
  live: IndexedEvent[]; liveHops: Hop[]; liveComplete: boolean;
  now: number; registry: RegistryClient; directory: ProviderDirectory; settings: JoinSettings; logger: Logger;
}

export async function readArchive(a: ArchiveLookups, o: ArchiveReadInput): Promise<{ hops: Hop[]; complete: boolean }> {
  if (!wantsArchive(o.lookup, o.liveHops.length, o.now, a.liveRetentionMs)) return { hops: o.liveHops, complete: o.liveComplete };
  const end = a.readSeconds.startTimer();
  let past;
  try { past = await a.source.read(o.key, o.lookup, o.range); } catch (e) {
    end();
    a.reads.inc({ result: 'error' });
    o.logger.warn({ err: e, traceId: o.lookup.traceId, lookupId: o.lookup.lookupId, key: o.key }, 'archive read failed: answering from the live windows only');
    return { hops: o.liveHops, complete: false };
  }
  end();
  a.reads.inc({ result: past.truncated ? 'truncated' : 'complete' });
  const events = [...o.live, ...await toIndexed(past.events, o.registry)];
  const liveIds = new Set(o.liveHops.map((h) => h.hopId));
  const hops = resolveLookup(o.lookup, events, o.directory, o.settings).map((h) => ({ ...h, source: hopSource(h.hopId, liveIds), pathConfidence: null, onBestPath: null }));
  for (const h of hops) if (h.source === 'ARCHIVE') a.hops.inc({ method: h.method });
  if (hops.some((h) => h.source === 'ARCHIVE')) {
    o.logger.info({ traceId: o.lookup.traceId, lookupId: o.lookup.lookupId, key: o.key, archived: past.events.length, hops: hops.length }, 'lookup answered from the archive');
  }
  return { hops, complete: o.liveComplete && !past.truncated };
}
