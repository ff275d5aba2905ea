// Who is behind a profile's top frames: for a V8 .cpuprofile (node --cpu-prof) or a sampling
// .heapprofile (node --heap-prof), the self time (bytes allocated) of every frame charged to the
// nearest caller in OUR code (services/, schemas/, bench/; else the nearest dependency frame), so "Buffer/string internals 34 %"
// reads as "which of our call sites asks for them". Prints, per top own call site, the share
// and its top self frames; then, per top self frame, its top own callers.
//   node bench/cpuprofile-callers.ts <file.cpuprofile|file.heapprofile> [top=15]
import { readFileSync } from 'node:fs';
import { areaOf, type CpuProfile } from './cpuprofile.ts';

interface Frame { functionName: string; url: string; lineNumber: number }
interface HeapNode { callFrame: Frame; selfSize: number; children: HeapNode[] }

const own = (f: Frame): boolean => /\/(services|schemas|bench)\//.test(f.url) && !/node_modules/.test(f.url);
const name = (f: Frame): string => `${f.functionName || '(anonymous)'} ${f.url.replace(/^file:\/\/.*?\/(node_modules|services|schemas|bench)\//, '$1/')}:${f.lineNumber + 1}`;

/** [self frame, nearest own caller (or '(none)'), weight] for every sampled stack. */
export function chargeToOwnCallers(profile: unknown): { rows: [string, string, number][]; unit: string } {
  const rows: [string, string, number][] = [];
  if ((profile as { head?: unknown }).head) {
    const walk = (n: HeapNode, owner: string, dep: string | undefined): void => {
      const o = own(n.callFrame) ? name(n.callFrame) : owner;
      const d = /node_modules/.test(n.callFrame.url) ? name(n.callFrame) : dep;
      if (n.selfSize > 0) rows.push([name(n.callFrame), o === '(none)' && d ? `(no own caller) ${d}` : o, n.selfSize]);
      for (const c of n.children) walk(c, o, d);
    };
    walk((profile as { head: HeapNode }).head, '(none)', undefined);
    return { rows, unit: 'bytes allocated' };
  }
  const p = profile as CpuProfile;
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    if (areaOf(n.callFrame.url, n.callFrame.functionName) === 'idle') continue;
    let owner = '(none)';
    let dep: string | undefined; // the nearest frame of a dependency, when no own frame calls
    for (let a: number | undefined = id; a !== undefined; a = parent.get(a)) {
      const f = byId.get(a)!.callFrame;
      if (own(f)) { owner = name(f); break; }
      if (dep === undefined && /node_modules/.test(f.url)) dep = name(f);
    }
    if (owner === '(none)' && dep) owner = `(no own caller) ${dep}`;
    rows.push([name(n.callFrame), owner, us / 1000]);
  }
  return { rows, unit: 'ms self time' };
}

function group(rows: [string, string, number][], by: 0 | 1): [string, number, Map<string, number>][] {
  const m = new Map<string, { w: number; sub: Map<string, number> }>();
  for (const r of rows) {
    const g = m.get(r[by]) ?? { w: 0, sub: new Map() };
    g.w += r[2];
    g.sub.set(r[1 - by]!, (g.sub.get(r[1 - by]!) ?? 0) + r[2]);
    m.set(r[by], g);
  }
  return [...m].map(([k, g]) => [k, g.w, g.sub] as [string, number, Map<string, number>]).sort((a, b) => b[1] - a[1]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const top = Number(process.argv[3] ?? 15);
  const { rows, unit } = chargeToOwnCallers(JSON.parse(readFileSync(process.argv[2]!, 'utf8')));
  const total = rows.reduce((a, r) => a + r[2], 0);
  const pct = (w: number) => `${((100 * w) / total).toFixed(1).padStart(5)}%`;
  const subs = (sub: Map<string, number>) => [...sub].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, w]) => `        ${pct(w)}  ${k}`).join('\n');
  console.log(`${unit}: ${total.toFixed(0)} in all (idle left out)\n\nby nearest own caller (and what it spends in, self):`);
  for (const [k, w, sub] of group(rows, 1).slice(0, top)) console.log(`  ${pct(w)}  ${k}\n${subs(sub)}`);
  console.log('\nby self frame (and its nearest own callers):');
  for (const [k, w, sub] of group(rows, 0).slice(0, top)) console.log(`  ${pct(w)}  ${k}\n${subs(sub)}`);
}
