// A CGN's port-block pool: `outsideAddresses` public addresses, each cut into blocks of
// blockSize ports from firstPort. Blocks are packed onto the addresses at random, so many
// subscribers share one public address with different blocks, and a released block is soon
// handed to someone else (port reuse over time). Pure.
import { parsePrefix } from '../common/address.ts';
import type { Rng } from './relay-traffic.ts';
import { firstHost, hostCount, v4At } from './address-pools.ts';
import type { PortBlockNat } from './scenario.ts';
import { blocksPerAddress, defaultOutsideAddresses } from './scenario-validate.ts';

export interface Block {
  outsideAddr: string;
  /** Inclusive port range. */
  lo: number;
  hi: number;
}

export interface BlockPool {
  addrs: readonly string[];
  /** A free block, on another address than `avoid` when possible. */
  take(avoid: string | null): Block;
  release(b: Block): void;
  /** Marks a specific block as held (used to plant decoys next to a known block). */
  holds(b: Block): boolean;
}

/**
 * `slot` rotates the public addresses through the outside prefix (the simulator passes the run's
 * start minute): runs started at different minutes use different addresses, so a run's
 * backfilled history never claims blocks that an earlier run on the same stack logged in the
 * same period (their windows live 24 h). The rotation cycles every (prefix hosts / n) slots.
 */
export function createBlockPool(nat: PortBlockNat, subscribers: number, r: Rng, slot = 0): BlockPool {
  const p = parsePrefix(nat.outsidePrefix);
  const n = nat.outsideAddresses || defaultOutsideAddresses(subscribers, nat.firstPort, nat.blockSize);
  const room = Math.max(1, Math.floor((hostCount(p) - firstHost(p) - 1) / n));
  const base = firstHost(p) + (slot % room) * n;
  const addrs = Array.from({ length: n }, (_, i) => v4At(p, base + i));
  const slots = blocksPerAddress(nat.firstPort, nat.blockSize);
  const held = new Set<string>();
  const key = (a: number, s: number) => `${a}/${s}`;
  const block = (a: number, s: number): Block => ({ outsideAddr: addrs[a]!, lo: nat.firstPort + s * nat.blockSize, hi: nat.firstPort + (s + 1) * nat.blockSize - 1 });
  return {
    addrs,
    take(avoid) {
      for (let attempt = 0; attempt < 64; attempt++) {
        const a = r.int(0, n - 1);
        if (addrs[a] === avoid && n > 1) continue;
        const s = r.int(0, slots - 1);
        if (!held.has(key(a, s))) { held.add(key(a, s)); return block(a, s); }
      }
      for (let a = 0; a < n; a++) {
        for (let s = 0; s < slots; s++) if (!held.has(key(a, s))) { held.add(key(a, s)); return block(a, s); }
      }
      throw new RangeError(`port-block pool ${nat.outsidePrefix} (${n} addresses x ${slots} blocks) is exhausted`);
    },
    release(b) { held.delete(key(addrs.indexOf(b.outsideAddr), (b.lo - nat.firstPort) / nat.blockSize)); },
    holds(b) { return held.has(key(addrs.indexOf(b.outsideAddr), (b.lo - nat.firstPort) / nat.blockSize)); },
  };
}
