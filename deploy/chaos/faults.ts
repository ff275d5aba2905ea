// The faults a chaos run injects into the local-process stack (deploy/local/stack.sh and
// services.sh, their PID files under .stack/run/), each followed by what brings the stack back:
// a killed service or stopped component is started again by the same scripts an operator runs.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { Redis } from 'ioredis';
import type { RegistryClient } from '../../services/common/registry.ts';
import { TOPICS } from '../../services/common/topics.ts';

const run = promisify(execFile);

export interface StackHandles {
  root: string;
  /** Environment of stack.sh / services.sh (ports, group ids of the services). */
  env: NodeJS.ProcessEnv;
  redisUrl: string;
  log(line: string): void;
}

const pidOf = (h: StackHandles, file: string): number | undefined => {
  try { return Number(readFileSync(join(h.root, '.stack/run', file), 'utf8').trim()) || undefined; } catch { return undefined; }
};
const cmdline = (pid: number): string => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '); } catch { return ''; } };
const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

async function waitExit(pid: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (alive(pid) && cmdline(pid) !== '') {
    if (Date.now() > until) throw new Error(`pid ${pid} still alive after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Signals our process `pidFile` if its command line contains `expect` (never someone else's)
 *  and waits until it is gone; one that outlives `waitMs` after SIGTERM gets SIGKILL, as
 *  stack.sh down does (a broker still shutting down when `up` runs would be taken for one
 *  starting, and the fault would leave it stopped). */
async function signal(h: StackHandles, pidFile: string, expect: string, sig: NodeJS.Signals, waitMs: number): Promise<void> {
  const pid = pidOf(h, pidFile);
  if (!pid || !cmdline(pid).includes(expect)) throw new Error(`${pidFile}: no running process of ours (${expect})`);
  process.kill(pid, sig);
  try {
    await waitExit(pid, waitMs);
  } catch (e) {
    if (sig === 'SIGKILL') throw e;
    h.log(`${pidFile}: pid ${pid} still alive ${waitMs / 1000} s after ${sig}; SIGKILL`);
    if (cmdline(pid).includes(expect)) process.kill(pid, 'SIGKILL');
    await waitExit(pid, 10_000);
  }
  // gone, but maybe not reaped yet: a zombie answers kill -0, and the scripts would take it for
  // the running process (services.sh: "already running", then "exited during start-up")
  if (alive(pid)) rmSync(join(h.root, '.stack/run', pidFile), { force: true });
}

async function script(h: StackHandles, path: string, arg: string, timeoutMs = 300_000): Promise<void> {
  try {
    await run(join(h.root, path), [arg], { cwd: h.root, env: h.env, timeout: timeoutMs, maxBuffer: 1 << 22 });
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${path} ${arg} failed: ${x.message}\n${x.stderr ?? ''}${x.stdout ?? ''}`, { cause: e });
  }
}

export const servicesUp = (h: StackHandles): Promise<void> => script(h, 'deploy/local/services.sh', 'up');
export const servicesDown = (h: StackHandles): Promise<void> => script(h, 'deploy/local/services.sh', 'down');
export const stackUp = (h: StackHandles): Promise<void> => script(h, 'deploy/local/stack.sh', 'up');

/** kill -9 of one service, then services.sh up starts it again (and waits for its /healthz). */
export async function killService(h: StackHandles, name: string): Promise<void> {
  await signal(h, `svc-${name}.pid`, `services/${name}/main.ts`, 'SIGKILL', 10_000);
  await servicesUp(h);
}

/** A component of the stack stopped (SIGTERM: the way it is restarted on purpose) and started again. */
export async function restartComponent(h: StackHandles, name: 'redis' | 'kafka' | 'registry'): Promise<void> {
  const expect = { redis: 'redis-server', kafka: 'kafka.Kafka', registry: 'apicurio' }[name];
  await signal(h, `${name}.pid`, expect, 'SIGTERM', 60_000);
  await stackUp(h);
}

export async function flushRedis(h: StackHandles): Promise<void> {
  const r = new Redis(h.redisUrl, { maxRetriesPerRequest: 2 });
  try { await r.flushall(); } finally { r.disconnect(); }
}

/** The topics the stages read, and which stage dead-letters what it cannot use from each. */
export const INPUT_TOPICS = [TOPICS.flowsRaw, TOPICS.sessionsRaw, TOPICS.flowsNorm, TOPICS.sessionsNorm, TOPICS.traceRequests, TOPICS.traceHops] as const;

/**
 * Poison on every partition of every input topic: bytes without the wire format's magic byte,
 * an unknown schema id, a known schema id with a truncated body, a record too large for a
 * dead letter (carried as its digest), and for trace.requests a well-formed TraceRequest with
 * an address that is none. Keys start with `prefix` so the dead letters can be found again.
 * Returns how many records went to each topic.
 */
export async function sendPoison(kafka: Kafka, registry: RegistryClient, prefix: string, partitions: (topic: string) => Promise<number>): Promise<Map<string, number>> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent = new Map<string, number>();
  try {
    for (const topic of INPUT_TOPICS) {
      const id = registry.schemaIdOf(topic);
      const header = Buffer.alloc(5);
      header.writeUInt32BE(id, 1);
      const unknownId = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2, 3]);
      const kinds: Buffer[] = [Buffer.from('{"not":"avro"}'), unknownId, Buffer.concat([header, Buffer.from([0xff, 0xff, 0xff])]), Buffer.alloc(700 * 1024, 0x41)];
      if (topic === TOPICS.traceRequests) {
        const now = Date.now();
        kinds.push(registry.encode(topic, {
          traceId: `${prefix}-bad-address`, action: 'OPEN', requestingJurisdiction: 'GB', legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: 'chaos', srcAddr: 'not-an-address', srcPort: 1,
          dstAddr: '192.0.2.1', dstPort: 443, protocol: 6, observedTime: now, toleranceMs: 1000, requestedAt: now, expiresAt: now + 60_000,
        }));
      }
      const n = await partitions(topic);
      const messages = [];
      for (let p = 0; p < n; p++) for (const [i, value] of kinds.entries()) messages.push({ partition: p, key: `${prefix}-${topic}-${p}-${i}`, value });
      // one by one: the large ones must not make one request over the broker's limit
      for (const m of messages) await producer.send({ topic, messages: [m] });
      sent.set(topic, messages.length);
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}
