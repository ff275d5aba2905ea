// When a lookup is answered from the archive as well as from the live windows. Pure.
// The live windows (Redis) keep records for `liveRetentionMs`; the archive (PostgreSQL) keeps
// them for months. Both hold the same normalised records and are judged by the same matchers,
// so asking the archive can only add evidence the live windows lost or never had.

/** Which store's records decided a hop: the live windows, or the archive. */
export type HopSource = 'LIVE' | 'ARCHIVE';

/**
 * True when the archive should be read for a lookup: its window starts before what the live
 * windows still hold (a trace of last week's communication), or the live windows yielded no
 * hop (the live copy expired, Redis was lost, or the records never were in this Redis).
 */
export function wantsArchive(l: { windowFrom: number }, liveHops: number, now: number, liveRetentionMs: number): boolean {
  return liveHops === 0 || l.windowFrom < now - liveRetentionMs;
}

/** The source a hop is credited to: LIVE when the live records alone yield it (same hop id). */
export function hopSource(hopId: string, liveHopIds: ReadonlySet<string>): HopSource {
  return liveHopIds.has(hopId) ? 'LIVE' : 'ARCHIVE';
}

/**
 * Open ends the archive should be asked about again now. The live windows cannot hold a record
 * older than their retention (it is trimmed as it arrives), so a late record of an old
 * communication reaches a waiting trace only through the archive: every open end whose window
 * lies before the live retention is re-read from the archive at most once per `everyMs`.
 * `lastChecked` (lookupId -> UTC ms) is the caller's memory of earlier checks.
 */
export function archiveRechecks<L extends { lookupId: string; windowFrom: number }>(
  open: readonly L[], now: number, liveRetentionMs: number, everyMs: number, lastChecked: ReadonlyMap<string, number>,
): L[] {
  return open.filter((l) => l.windowFrom < now - liveRetentionMs && now - (lastChecked.get(l.lookupId) ?? 0) >= everyMs);
}
