// Redis ACL users of the services, from deploy/security/redis-users.json: each service's user
// may run only its commands on only its key patterns (Redis 7 checks a Lua script's calls too).
// aclUserArgs() gives the arguments of one `user` directive; the same arguments serve a config
// file line (`user <args>`), a `--user <args>` command-line option and ACL SETUSER. Passwords
// go in as their SHA-256 (`#<hex>`), so no file or process list holds them in clear.
//   node services/common/redis-acl.ts <redis-users.json> <secrets dir> [<admin password file>]
// prints the config lines, making <secrets dir>/redis-<user>.password for users that have none;
// with an admin password file, also the default user's line (all keys and commands) by hash,
// so the file holds no password in clear (docker-compose.yml mounts it into Redis).
import { createHash } from 'node:crypto';
import { secretText } from './secret-text.ts';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CrosstraceError } from './errors.ts';

export interface RedisUserSpec { keys: string[]; commands: string[] }
export type RedisUsers = Readonly<Record<string, RedisUserSpec>>;

const NAME = /^[a-z][a-z0-9-]*$/;
const COMMAND = /^[a-z]+(\|[a-z-]+)?$/;
const PATTERN = /^[A-Za-z0-9:{}*_.-]+$/;

export function parseRedisUsers(text: string, where = 'redis-users.json'): RedisUsers {
  const fail = (msg: string) => new CrosstraceError('CT_CONFIG', `${where}: ${msg}`);
  let data: { users?: Record<string, RedisUserSpec> };
  try { data = JSON.parse(text) as typeof data; } catch (e) { throw fail(`not JSON: ${(e as Error).message}`); }
  if (!data.users || typeof data.users !== 'object') throw fail('needs "users": {"<service>": {"keys": [...], "commands": [...]}}');
  for (const [name, u] of Object.entries(data.users)) {
    if (!NAME.test(name) || name === 'default') throw fail(`user ${JSON.stringify(name)}: a lower-case service name, not "default"`);
    if (!Array.isArray(u.keys) || u.keys.length === 0 || !u.keys.every((k) => typeof k === 'string' && PATTERN.test(k))) throw fail(`user ${name}: "keys" must be key patterns (no spaces)`);
    if (!Array.isArray(u.commands) || u.commands.length === 0 || !u.commands.every((c) => typeof c === 'string' && COMMAND.test(c))) throw fail(`user ${name}: "commands" must be lower-case command names`);
  }
  return Object.freeze(data.users);
}

export const loadRedisUsers = (path: string): RedisUsers => parseRedisUsers(readFileSync(path, 'utf8'), path);

/** Arguments of one user definition: no access but what is listed (reset), enabled, this password. */
export function aclUserArgs(name: string, u: RedisUserSpec, password: string): string[] {
  return [name, 'reset', 'on', `#${createHash('sha256').update(password).digest('hex')}`, ...u.keys.map((k) => `~${k}`), '-@all', ...u.commands.map((c) => `+${c}`)];
}

/** The default user as the admin: every key, channel and command, with this password. */
export const aclAdminArgs = (password: string): string[] => ['default', 'reset', 'on', `#${createHash('sha256').update(password).digest('hex')}`, '~*', '&*', '+@all'];

/** redis://user:password@host:port */
export const redisUserUrl = (name: string, password: string, hostPort: string): string =>
  `redis://${encodeURIComponent(name)}:${encodeURIComponent(password)}@${hostPort}`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, dir, adminFile] = process.argv.slice(2);
  if (!file || !dir) { console.error('usage: node services/common/redis-acl.ts <redis-users.json> <secrets dir> [<admin password file>]'); process.exit(2); }
  if (adminFile) console.log(`user ${aclAdminArgs(readFileSync(adminFile, 'utf8').trim()).join(' ')}`);
  for (const [name, u] of Object.entries(loadRedisUsers(file))) {
    const f = join(dir, `redis-${name}.password`);
    if (!existsSync(f)) writeFileSync(f, secretText(24), { mode: 0o600 });
    console.log(`user ${aclUserArgs(name, u, readFileSync(f, 'utf8').trim()).join(' ')}`);
  }
}
