// RSS of every running service (`services.sh up`), where it goes, right after a load step:
// peak RSS since start (VmHWM) and now (VmRSS) from /proc, the V8 heap (used/total) and
// external memory (Buffers: kafkajs fetch responses, socket buffers) from each /metrics, and
// the RSS by mapping (bench/proc-memory.ts: glibc malloc heaps, other anonymous, file-backed).
//   node bench/service-memory.ts     (SERVICES_PORT_BASE as services.sh; pid files in .stack/run)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { result } from './lib.ts';
import { rssSplit } from './proc-memory.ts';

const root = join(import.meta.dirname, '..');
const base = Number(process.env.SERVICES_PORT_BASE ?? 9100);
const services: [string, number][] = [['ingest', 1], ['correlator', 2], ['tracer', 3], ['gateway', 4], ['archive', 6], ['collector', 7]];
const kib = (status: string, key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
const metric = (text: string, name: string) => Number(new RegExp(`^crosstrace_\\w+_${name}\\{[^}]*\\} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
const r1 = (n: number) => +n.toFixed(1);

for (const [name, off] of services) {
  let status: string;
  let pid: number;
  try { pid = Number(readFileSync(join(root, '.stack/run', `svc-${name}.pid`), 'utf8').trim()); status = readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { console.log(`${name}: not running`); continue; }
  const split = rssSplit(pid);
  // the heap policy the service started with (common/heap-growth.ts): a flag on its node command
  // line wins over its environment's CROSSTRACE_HEAP_GROWING_PERCENT
  let growth = '';
  try {
    const cmd = /--heap[-_]growing[-_]percent=(\d+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'latin1'))?.[1];
    growth = cmd ?? /(?:^|\0)CROSSTRACE_HEAP_GROWING_PERCENT=([^\0]*)/.exec(readFileSync(`/proc/${pid}/environ`, 'latin1'))?.[1]?.trim() ?? '';
  } catch { /* not ours to read */ }
  const text = await fetch(`http://127.0.0.1:${base + off}/metrics`).then((r) => r.text(), () => '');
  const row = {
    service: name, peakRssMiB: Math.round(kib(status, 'VmHWM')), rssMiB: Math.round(kib(status, 'VmRSS')),
    heapUsedMiB: r1(metric(text, 'nodejs_heap_size_used_bytes')), heapTotalMiB: r1(metric(text, 'nodejs_heap_size_total_bytes')),
    externalMiB: r1(metric(text, 'nodejs_external_memory_bytes')), heapGrowingPercent: Number(growth) || 0, loadAverage1m: +loadavg()[0]!.toFixed(1),
    mallocMiB: Math.round(split?.malloc ?? NaN), otherAnonMiB: Math.round(split?.anon ?? NaN), fileMiB: Math.round(split?.file ?? NaN),
  };
  console.log(`${name.padEnd(10)} peak RSS ${row.peakRssMiB} MiB, now ${row.rssMiB} MiB: V8 heap ${row.heapUsedMiB} used of ${row.heapTotalMiB} MiB, external (Buffers) ${row.externalMiB} MiB, the rest (code, malloc arenas, stacks) ${Math.round(row.rssMiB - row.heapTotalMiB - row.externalMiB)} MiB; by mapping: glibc malloc ${row.mallocMiB} MiB (${split?.arenas ?? '?'} arenas + brk), other anonymous (V8 pages, large Buffers, stacks) ${row.otherAnonMiB}, file-backed (code) ${row.fileMiB}; old-space growth ${row.heapGrowingPercent ? `${row.heapGrowingPercent} %` : "V8's own"}`);
  result('service-memory', row);
}
