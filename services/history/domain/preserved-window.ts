// A window a preservation order pins, and the scope and address a window key stands for. Pure.
export interface PreservedWindow {
  windowKey: string; from: number; to: number;
  /** Scope ('' = global) and CIDR of the address the key stands for: sessions whose interval
   *  covers it during the window are pinned whole, even with no record inside the window. */
  scope?: string; cidr?: string;
}

/** Scope and CIDR a window key stands for (`[scope|]a.b.c.d` or `[scope|]6:<net>/48`, see
 *  services/common/address.ts windowKey). */
export function keyTarget(key: string): { scope: string; cidr: string } {
  const bar = key.lastIndexOf('|');
  const [scope, body] = bar < 0 ? ['', key] : [key.slice(0, bar), key.slice(bar + 1)];
  return { scope, cidr: body.startsWith('6:') ? body.slice(2) : `${body}/32` };
}
