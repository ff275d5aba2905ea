// One descriptor per hop method: everything the pipeline needs to know about a method, in one
// place (STYLE: "a name spread over many files" -> one descriptor, like a Collector component
// factory). Adding a method means a file in this folder, its entry in index.ts and its schema
// symbol; the matchers, the wake rule, the onward lookups and the session ages read it from here.
// Pure: no I/O.
import type { HopMethod, SessionEvent, SessionKind } from '../../../schemas/types.gen.ts';
import type { IndexedEvent, Lookup } from '../join-types.ts';
import type { IntervalRules } from '../matchers/session-intervals.ts';

/** The lookup side, canonicalised once. */
export interface Target {
  addr: string;
  port: number | null;
  protocol: number | null;
  /** 32 hex digits of an IPv6 addr, null for IPv4. */
  hex: string | null;
}

/** How a session kind's records answer a session lookup (used by session-match.ts). */
export interface KindSpec {
  kind: SessionKind;
  method: HopMethod;
  /** Match rule: how specifically a record covers the target: -1 = not at all; otherwise a
   *  prefix length (longest match wins among access sessions; other kinds return 0). */
  strength(ev: SessionEvent, t: Target): number;
  /** Records that compete for the target's resource, beyond those covering it (default: none).
   *  A port block not holding the looked-up port can still end an older overlapping block. */
  context?(ev: SessionEvent, t: Target): boolean;
  /** Pairing and conflict rule: a START ends another holder only when `conflicts` says they
   *  claim the same thing. */
  rules: IntervalRules;
  /** Endpoint the session leads to (null addr: terminal at a subscriber). */
  leadsTo(ev: SessionEvent): { addr: string | null; port: number | null };
  /** The outside ports [lo, hi] a record's session holds on its shared address, null when it
   *  holds none of them alone (a VPN exit logged without ports: many clients at once). Absent:
   *  the session holds the whole address (an access session's framed address). A port-less
   *  lookup on a shared address is answered by the holders on record only where their ports
   *  cover the address's; elsewhere a holder whose record is lost may have sent it. */
  holds?(ev: SessionEvent): readonly [number, number] | null;
}

/**
 * What happens to the traced connection at a hop of this method (status effect and onward lookups):
 * - 'same-connection': an address translation (NAT log, port block, RFC 7422); the peer seen
 *   beyond is the same, so the endpoint it leads to gets a session AND a relay lookup;
 * - 'new-connection': a VPN tunnel or a relay opened a new connection; the peer beyond is
 *   unknown, so the endpoint it leads to gets a session lookup only;
 * - 'terminal': the hop names a subscriber and leads nowhere (the chain may terminate there
 *   unless a relay branch beside it continues).
 */
export type OnwardEffect = 'same-connection' | 'new-connection' | 'terminal';

export interface HopMethodDescriptor {
  method: HopMethod;
  /** What it reads: a session kind of schemas/session-event.avsc, flow records
   *  (schemas/flow-event.avsc), or the provider's published rule (schemas/provider.avsc). */
  reads: SessionKind | 'flows' | 'published-rule';
  /** Session records of this kind stay valid without a STOP this long unless the provider
   *  says otherwise (deploy/providers.json maxSessionAgeMs), ms. Undefined: not a session. */
  defaultMaxSessionAgeMs?: number;
  /** Normalisation: which fields a record must carry, and the address(es) it is indexed under. */
  indexedUnder: string;
  /** The matcher for session kinds (conflict and match rules). */
  session?: KindSpec;
  /** Wake rule: whether an arriving record can change what a waiting lookup resolves to. */
  wakes(l: Lookup, e: IndexedEvent): boolean;
  onward: OnwardEffect;
}
