// Which windows a preservation order for a trace pins: for every hop of the chain, the window
// keys its observed endpoint is indexed under (unscoped, and scoped by the hop's provider for
// provider-scoped inside addresses) over the hop's lookup window widened by `marginMs` on both
// sides ("the records around each hop's window"). The store then adds every record of each
// session found there, however far back its START lies (preservation.ts). Pure.
import { windowKey } from '../common/address.ts';
import { keyTarget, type PreservedWindow } from '../history/domain/preserved-window.ts';

export interface HopWindow { observedAddr: string; providerId: string; windowFrom: number; windowTo: number; firstSeen: number; lastSeen: number }

/** Around a hop's window by default: 5 minutes each side. */
export const DEFAULT_MARGIN_MS = 5 * 60_000;

export function preservationWindows(hops: readonly HopWindow[], marginMs = DEFAULT_MARGIN_MS): PreservedWindow[] {
  const byKey = new Map<string, PreservedWindow>();
  const add = (key: string, from: number, to: number): void => {
    const id = `${key}\u0000${from}\u0000${to}`;
    if (!byKey.has(id)) byKey.set(id, { windowKey: key, from, to, ...keyTarget(key) });
  };
  for (const h of hops) {
    // the evidence can lie outside the lookup window (a session's START); cover both
    const from = Math.min(h.windowFrom, h.firstSeen) - marginMs;
    const to = Math.max(h.windowTo, h.lastSeen) + marginMs;
    let keys: string[];
    try {
      keys = [windowKey(h.observedAddr, null), windowKey(h.observedAddr, h.providerId)];
    } catch {
      continue; // not an address (cannot be indexed): nothing archived under it
    }
    for (const k of keys) add(k, from, to);
  }
  return [...byKey.values()];
}
