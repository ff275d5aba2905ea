// The local-process stack (deploy/local/stack.sh): started when no container runtime answers,
// and stopped at the end only if this run started it.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadRedisUsers, redisUserUrl } from '../../services/common/redis-acl.ts';
import type { StackEndpoints } from '../support/stack.ts';

const run = promisify(execFile);
export const STACK_SH = resolve(import.meta.dirname, '../../deploy/local/stack.sh');

export interface LocalStack {
  endpoints: Omit<StackEndpoints, 'mode'>;
  /** True when the stack was already running and is left running. */
  reused: boolean;
  stop(): Promise<void>;
}

/**
 * Runs `stack.sh CMD` with `env` added and returns its stdout; stderr (its progress lines) goes
 * to ours. Killed after `timeoutMs` (default: STACK_TIMEOUT + 60 s for up, 90 s otherwise).
 */
export async function stackSh(cmd: 'up' | 'down' | 'status' | 'env', env: NodeJS.ProcessEnv = {}, timeoutMs?: number): Promise<string> {
  const all = { ...process.env, ...env };
  const timeout = timeoutMs ?? (cmd === 'up' ? (Number(all.STACK_TIMEOUT) || 90) * 1000 + 60_000 : 90_000);
  const child = run(STACK_SH, [cmd], { env: all, maxBuffer: 1 << 20, timeout });
  child.child.stderr?.pipe(process.stderr);
  return (await child).stdout;
}

/** `stack.sh env` lines (`export KEY=VALUE`) as endpoints. */
export function parseStackEnv(text: string): Omit<StackEndpoints, 'mode'> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(?:export\s+)?([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) vars.set(m[1], m[2].replace(/^['"]|['"]$/g, ''));
  }
  const need = (key: string): string => {
    const v = vars.get(key);
    if (!v) throw new Error(`deploy/local/stack.sh env printed no ${key}; got:\n${text}`);
    return v;
  };
  return {
    kafkaBrokers: need('KAFKA_BROKERS').split(','),
    schemaRegistryUrl: need('SCHEMA_REGISTRY_URL'),
    redisUrl: need('REDIS_URL'),
    databaseUrl: need('DATABASE_URL'),
    kafkaClientProperties: vars.get('KAFKA_CLIENT_PROPERTIES'),
    kafkaMtlsBrokers: vars.get('KAFKA_MTLS_BROKERS')?.split(','),
    kafkaSecurityDir: vars.has('KAFKA_CLIENT_PROPERTIES') ? resolve(vars.get('KAFKA_CLIENT_PROPERTIES')!, '../..') : undefined,
  };
}

/** Each service's Redis ACL user, as stack.sh made it (.stack/security/redis-<user>.password). */
function redisUserUrlsOf(e: Omit<StackEndpoints, 'mode'>): Record<string, string> | undefined {
  const dir = e.kafkaSecurityDir;
  if (!dir) return undefined;
  const hostPort = e.redisUrl.replace(/^redis:\/\/(?:[^@]*@)?/, '');
  const users = Object.keys(loadRedisUsers(resolve(import.meta.dirname, '../../deploy/security/redis-users.json')));
  const files = users.map((u) => [u, join(dir, `redis-${u}.password`)] as const);
  if (!files.every(([, f]) => existsSync(f))) return undefined;
  return Object.fromEntries(files.map(([u, f]) => [u, redisUserUrl(u, readFileSync(f, 'utf8').trim(), hostPort)]));
}

export async function startLocalStack(env: NodeJS.ProcessEnv = {}): Promise<LocalStack> {
  const status = await stackSh('status', env).catch(() => '');
  const running = status.split('\n').filter((l) => /^\S+\s+running\b/.test(l)).length;
  await stackSh('up', env);
  const endpoints = { ...parseStackEnv(await stackSh('env', env)) };
  endpoints.redisUserUrls = redisUserUrlsOf(endpoints);
  const reused = running > 0;
  return {
    endpoints,
    reused,
    stop: async () => {
      if (!reused) await stackSh('down', env);
    },
  };
}
