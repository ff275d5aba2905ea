// The windows' layout in Redis, version 2: key names and members, shared by the live index
// (window-store.ts and its scripts), the rebuild's bulk write (window-bulk-write.ts) and the
// state marker (state-rebuild.ts), so the two writers cannot drift apart.
//
// A window K has two parts under the hash tag {K}, each a hash and a sorted set:
//   flow part     ct:fe:{K} hash  member -> stored payload   ct:ft:{K} zset  member by event time (UTC ms)
//   session part  ct:se:{K} hash  member -> stored payload   ct:st:{K} zset  member by event time
// and the waiters (ct:w:{K} hash lookupId -> lookup JSON, ct:wt:{K} zset lookupId by expiry) and
// the pin (ct:pin:{K}, present = a preservation order keeps the window whole, without TTL).
//
// A member is memberOf(uid): 16 bytes of SHA-256 of the stored uid (`exporterId/eventId`, flows
// with `:flow-in` / `:flow-out`), not the uid itself (~35 bytes, held twice per event). What was
// keyed by uid still is: a redelivered event is the same member and changes nothing. Two uids
// share a member with probability ~n^2 / 2^129 for n events in a part (below 1e-20 at n = 1e5);
// nothing reads a member back as a uid (reads return payloads, which carry the event).
//
// Version 1 kept the uid as member under ct:ev / ct:et / ct:sev / ct:set. Its windows are not
// read by this version: a Redis holding them has no version-2 marker (STATE_MARKER) and is
// rebuilt from Kafka into these keys, while the old keys expire on their own TTLs.
import { hash } from 'node:crypto';

export type WindowSide = 'session' | 'flow';

/** Bumped with any change of key names, members or payloads; named in STATE_MARKER. */
export const LAYOUT_VERSION = 2;

/** Present = this Redis holds state built from Kafka (value: when it was built, ISO), in the
 *  windows' layout of this version: a Redis holding an older layout's windows has no marker of
 *  this name, so it is rebuilt into this layout's keys, never read as if it held them. The value
 *  names the build: it changes only when the windows were built anew (a rebuild after a loss, or
 *  `crosstrace rebuild`), so a read between two equal values read a whole window (a read made
 *  while it is missing, or across a change, may have read a window still being rebuilt). */
export const STATE_MARKER = `ct:state:built:v${LAYOUT_VERSION}`;

/** A window part's hash (member -> payload) and sorted set (member by event time). */
export const partKeys = (k: string, side: WindowSide): [hash: string, zset: string] => (side === 'session'
  ? [`ct:se:{${k}}`, `ct:st:{${k}}`]
  : [`ct:fe:{${k}}`, `ct:ft:{${k}}`]);

/** The waiters of a window: hash lookupId -> lookup JSON, sorted set lookupId by expiry (UTC ms). */
export const waiterKeys = (k: string): [hash: string, zset: string] => [`ct:w:{${k}}`, `ct:wt:{${k}}`];

export const pinKey = (k: string): string => `ct:pin:{${k}}`;

/** The member an event with this stored uid has in its window part. */
export const memberOf = (uid: string): Buffer => hash('sha256', uid, 'buffer').subarray(0, 16);
