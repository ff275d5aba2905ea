// Where a process's resident memory lies, from /proc/PID/smaps (Linux): what bench/drain-memory.ts
// and bench/service-memory.ts print next to V8's own heap and external figures.
import { readFileSync } from 'node:fs';

/** VmRSS split by mapping kind (kB -> MiB): glibc's heaps are the brk [heap] and, per extra
 *  arena, a 64 MiB-aligned mapping (HEAP_MAX_SIZE) followed by its reserved ---p rest. */
export function rssSplit(pid: number): { rss: number; malloc: number; arenas: number; anon: number; file: number } | null {
  let text: string;
  try { text = readFileSync(`/proc/${pid}/smaps`, 'utf8'); } catch { return null; }
  const out = { rss: 0, malloc: 0, arenas: 0, anon: 0, file: 0 };
  const maps = text.split('\n').reduce<{ start: bigint; end: bigint; perms: string; path: string; rss: number }[]>((acc, line) => {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) acc.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3]!, path: m[4]!, rss: 0 });
    else if (line.startsWith('Rss:') && acc.length) acc.at(-1)!.rss = Number(/(\d+)/.exec(line)![1]) / 1024;
    return acc;
  }, []);
  const ARENA = 64n << 20n;
  maps.forEach((x, i) => {
    out.rss += x.rss;
    const next = maps[i + 1];
    if (x.path === '[heap]') { out.malloc += x.rss; return; }
    if (x.path === '' && x.start % ARENA === 0n && (x.end - x.start === ARENA || (next && next.start === x.end && next.perms === '---p' && next.end - x.start === ARENA))) { out.malloc += x.rss; out.arenas++; return; }
    if (x.path === '' || x.path.startsWith('[')) out.anon += x.rss; else out.file += x.rss;
  });
  return out;
}
