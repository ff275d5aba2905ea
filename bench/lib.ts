// Small helpers the benchmarks share: percentiles, memory, a table printer, topic offsets, a
// process's CPU time, Redis' own CPU and command counters.
import { readFileSync } from 'node:fs';
import type { Admin } from 'kafkajs';
import type { Redis } from 'ioredis';
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function summarise(samplesMs: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...samplesMs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? NaN, n: s.length };
}

export function mem(): string {
  const m = process.memoryUsage();
  return `rss ${(m.rss / 2 ** 20).toFixed(0)} MiB, heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB`;
}

export function fmt(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(1);
}

/** One machine-readable line per figure set; deploy/local/bench.sh collects them into
 *  bench/results/latest.json. */
export function result(name: string, figures: Record<string, number | string>): void {
  console.log(`RESULT ${JSON.stringify({ name, ...figures })}`);
}

/** Per topic, each partition's high watermark. */
export type Offsets = Map<string, { partition: number; offset: string }[]>;
export async function topicHighs(admin: Admin, topics: string[]): Promise<Offsets> {
  const m: Offsets = new Map();
  for (const t of topics) m.set(t, (await admin.fetchTopicOffsets(t)).map((p) => ({ partition: p.partition, offset: p.high })));
  return m;
}
/** The offsets summed over every topic and partition (two sums' difference: records between). */
export const offsetSum = (m: Map<string, { offset: string }[]>): number => [...m.values()].flat().reduce((a, p) => a + Number(p.offset), 0);

/** CPU time (user + system) a process used so far, ms: far steadier than wall time on a loaded
 *  machine. NaN when the process is gone. */
export function processCpuMs(pid: number): number {
  try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; } catch { return NaN; }
}

/** Records the consumer groups have not committed yet on their topics, summed (a partition a
 *  group never committed counts nothing). */
export async function groupLag(admin: Admin, groups: [groupId: string, topics: string[]][]): Promise<number> {
  let lag = 0;
  for (const [groupId, topics] of groups) {
    for (const t of await admin.fetchOffsets({ groupId, topics })) {
      const highs = new Map((await admin.fetchTopicOffsets(t.topic)).map((p) => [p.partition, Number(p.high)]));
      for (const p of t.partitions) lag += Number(p.offset) >= 0 ? Math.max(0, highs.get(p.partition)! - Number(p.offset)) : 0;
    }
  }
  return lag;
}

/** Redis' own counters at one moment: its CPU (user + system, µs) and INFO commandstats per
 *  command (calls, µs; a script's redis.call()s count as their own commands and again in the
 *  script's EVALSHA / EVAL time). */
export interface RedisStats { cpuUs: number; commands: Map<string, { calls: number; usec: number }> }

/** Redis' own CPU so far (user + system, µs). */
export async function redisCpuUs(redis: Redis): Promise<number> {
  const cpu = await redis.info('cpu');
  return 1e6 * (Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1]));
}

/** Redis' used_memory now (INFO memory), bytes. */
export async function redisUsedMemory(redis: Redis): Promise<number> {
  const m = /used_memory:(\d+)/.exec(await redis.info('memory'));
  if (!m) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

/** Deletes every key matching `pattern` (SCAN MATCH, 5000 a step): UNLINK by default, DEL where the
 *  memory must be free before the next used_memory reading. */
export async function deleteKeys(redis: Redis, pattern: string, how: 'unlink' | 'del' = 'unlink'): Promise<void> {
  let cursor = '0';
  do {
    const [c, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    cursor = c;
    if (keys.length) await (how === 'del' ? redis.del(...keys) : redis.unlink(...keys));
  } while (cursor !== '0');
}

export async function redisStats(redis: Redis): Promise<RedisStats> {
  const cpuUs = await redisCpuUs(redis);
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const l of (await redis.info('commandstats')).split('\r\n')) {
    const x = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(l);
    if (x) commands.set(x[1]!, { calls: Number(x[2]), usec: Number(x[3]) });
  }
  return { cpuUs, commands };
}

/** What Redis did between two redisStats, per event: its CPU, the scripts' time (EVALSHA + EVAL)
 *  and each command's calls and µs, the most expensive first. */
export function redisDelta(a: RedisStats, b: RedisStats, events: number) {
  const per = [...b.commands].map(([c, s]) => ({ c, calls: (s.calls - (a.commands.get(c)?.calls ?? 0)) / events, usec: (s.usec - (a.commands.get(c)?.usec ?? 0)) / events }))
    .filter((x) => x.calls > 0).sort((x, y) => y.usec - x.usec);
  const scripts = per.filter((x) => x.c === 'evalsha' || x.c === 'eval');
  return { cpuUs: (b.cpuUs - a.cpuUs) / events, scriptUs: scripts.reduce((s, x) => s + x.usec, 0), scriptCalls: scripts.reduce((s, x) => s + x.calls, 0), scripts,
    /** every other command, a script's redis.call()s and the clients' own (their µs are also in the scripts' where a script called them) */
    commands: per.filter((x) => x.c !== 'evalsha' && x.c !== 'eval') };
}
