// The text of IP addresses, parsed and written by hand for the ingest hot path (one
// canonicalAddress per event): dotted-quad IPv4 <-> uint32, IPv6 text (RFC 4291 forms) ->
// eight 16-bit groups, groups -> RFC 5952 text. Pure; what the text means (canonical forms,
// prefixes, scoped space) is address.ts's. Checked against ipaddr.js in address.test.ts.

/** Dotted-quad IPv4 text -> uint32; -1 unless exactly four decimal octets 0-255 without leading zeros. */
export function ipv4ToInt(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      acc = acc * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return -1; // "01": octal-looking, ambiguous across parsers
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? acc * 256 + part : -1;
}

export function intToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Hex groups of one colon-separated run ("" -> none); a dotted quad is allowed last when
 *  `v4Last`. Appends to `out`; false on any malformed group. */
function pushGroups(run: string, v4Last: boolean, out: number[]): boolean {
  if (run === '') return true;
  const groups = run.split(':');
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (v4Last && i === groups.length - 1 && g.includes('.')) {
      const v4 = ipv4ToInt(g);
      if (v4 < 0) return false;
      out.push(v4 >>> 16, v4 & 0xffff);
      return true;
    }
    if (g.length === 0 || g.length > 4) return false;
    let v = 0;
    for (let j = 0; j < g.length; j++) {
      const c = g.charCodeAt(j);
      const lc = c | 0x20; // A-F -> a-f
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && lc >= 97 && lc <= 102 ? lc - 87 : -1;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    out.push(v);
  }
  return true;
}

/** Eight 16-bit groups of IPv6 text (RFC 4291 forms: "::" once, dotted quad last), or null.
 *  Hand-written for the ingest hot path; address.test.ts checks it against ipaddr.js. */
export function v6Parts(text: string): number[] | null {
  if (text.length < 2 || text.length > 45) return null;
  const dbl = text.indexOf('::');
  if (dbl < 0) {
    const p: number[] = [];
    return pushGroups(text, true, p) && p.length === 8 ? p : null;
  }
  if (text.indexOf('::', dbl + 1) >= 0) return null;
  const head: number[] = [];
  const tail: number[] = [];
  if (!pushGroups(text.slice(0, dbl), false, head) || !pushGroups(text.slice(dbl + 2), true, tail)) return null;
  const zeros = 8 - head.length - tail.length;
  if (zeros < 1) return null;
  return [...head, ...new Array<number>(zeros).fill(0), ...tail];
}

/** RFC 5952 text of eight groups: lowercase, no leading zeros, the longest (first on a tie)
 *  run of two or more zero groups as "::". */
export function formatV6(p: readonly number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (p[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && p[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number, b: number) => p.slice(a, b).map((g) => g.toString(16)).join(':');
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}
