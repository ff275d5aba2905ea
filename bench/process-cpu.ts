// CPU by process over a measurement window, from /proc (Linux): the stack's own processes
// (PID files under $STACK_DIR/run: kafka, registry, redis, postgres with every backend it
// forked; svc-<name>.pid for the services), this bench process, and the rest of the machine
// (other stacks, other users) as "others", so a latency figure travels with who ate the cores.
// Not Linux, or no /proc: an empty sample (nothing printed).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux build in use). */
const HZ = 100;

/** utime + stime of `pid` plus cutime + cstime (its exited, reaped children's: Redis's AOF
 *  rewrite fork, PostgreSQL's autovacuum workers; without them a fork that ends within a window
 *  counted as "others" and took its CPU out of its parent's row), and its parent; undefined when
 *  it is gone. */
function stat(pid: number): { ticks: number; ppid: number } | undefined {
  let s: string;
  try { s = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return undefined; }
  const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

/** Busy ticks of the whole machine (all cores) from /proc/stat. */
function machineBusy(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return cpu.reduce((a, b) => a + b, 0) - (cpu[3] ?? 0) - (cpu[4] ?? 0); // minus idle and iowait
}

export type CpuSample = { at: number; machine: number; byName: Map<string, number> };

/** CPU ticks so far of each of the stack's processes (a name's descendants counted with it). */
export function sampleCpu(stackDir = process.env.STACK_DIR ?? '.stack'): CpuSample | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  const run = join(stackDir, 'run');
  const roots = new Map<number, string>();
  if (existsSync(run)) {
    for (const f of readdirSync(run).filter((x) => x.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(run, f), 'utf8').trim());
      if (pid > 0) roots.set(pid, f.replace(/\.pid$/, '').replace(/^svc-/, ''));
    }
  }
  roots.set(process.pid, 'bench');
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    const pid = Number(d);
    if (!(pid > 0)) continue;
    const s = stat(pid);
    if (s) { parent.set(pid, s.ppid); ticks.set(pid, s.ticks); }
  }
  const byName = new Map<string, number>();
  for (const [pid, t] of ticks) {
    for (let p: number | undefined = pid, hops = 0; p && hops < 8; p = parent.get(p), hops++) {
      const name = roots.get(p);
      if (name) { byName.set(name, (byName.get(name) ?? 0) + t); break; }
    }
  }
  return { at: Date.now(), machine: machineBusy(), byName };
}

/** Per process between two samples: share of one core and µs of CPU per event (`events` in the window). */
export function cpuBetween(a: CpuSample, b: CpuSample, events: number) {
  const secs = (b.at - a.at) / 1000;
  const rows = [...b.byName].map(([name, t]) => ({ name, seconds: (t - (a.byName.get(name) ?? t)) / HZ }));
  const ours = rows.reduce((x, r) => x + r.seconds, 0);
  rows.push({ name: 'others', seconds: Math.max(0, (b.machine - a.machine) / HZ - ours) });
  return {
    cores: cpus().length, seconds: secs,
    rows: rows.filter((r) => r.seconds > 0).sort((x, y) => y.seconds - x.seconds).map((r) => ({
      name: r.name, corePct: Math.round((100 * r.seconds) / secs), usPerEvent: events > 0 ? +((1e6 * r.seconds) / events).toFixed(1) : 0,
    })),
  };
}
