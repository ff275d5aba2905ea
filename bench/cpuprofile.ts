// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per frame and per area, so a
// profile is read as "which share of the CPU went where", meaningful on a loaded machine.
// Pure: no I/O beyond the caller's JSON.parse.
export interface CpuProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
export interface CpuProfile { nodes: CpuProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }
export interface FrameShare { frame: string; area: string; selfMs: number; share: number }

/** Where a frame lives: a dependency (by package), our code (by folder), node internals, GC, idle. */
export function areaOf(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(program)') return 'v8 (program)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const own = /\/(services\/[^/]+(?:\/domain)?|schemas|bench)\//.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:') || url === '') return 'node internals';
  return 'other';
}

export function selfTimes(p: CpuProfile): { frames: FrameShare[]; areas: FrameShare[]; totalMs: number; busyMs: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const frames = new Map<string, { area: string; us: number }>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const area = areaOf(url, functionName);
    const file = url.replace(/^file:\/\/.*?\/(node_modules|services|schemas|bench)\//, '$1/');
    const frame = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    const f = frames.get(frame) ?? { area, us: 0 };
    f.us += us;
    frames.set(frame, f);
    areas.set(area, (areas.get(area) ?? 0) + us);
    total += us;
    if (area === 'idle') idle += us;
  }
  const busy = total - idle;
  const share = (us: number) => (busy > 0 ? us / busy : 0);
  return {
    totalMs: total / 1000, busyMs: busy / 1000,
    frames: [...frames].filter(([, f]) => f.area !== 'idle').map(([frame, f]) => ({ frame, area: f.area, selfMs: f.us / 1000, share: share(f.us) })).sort((a, b) => b.selfMs - a.selfMs),
    areas: [...areas].filter(([a]) => a !== 'idle').map(([area, us]) => ({ frame: area, area, selfMs: us / 1000, share: share(us) })).sort((a, b) => b.selfMs - a.selfMs),
  };
}

/** A printable table: share of busy (non-idle) CPU, self ms, frame. */
export function formatTop(rows: FrameShare[], n: number): string {
  return rows.slice(0, n).map((r) => `${(r.share * 100).toFixed(1).padStart(5)}%  ${r.selfMs.toFixed(0).padStart(7)} ms  ${r.frame}${r.area !== r.frame ? `  [${r.area}]` : ''}`).join('\n');
}
