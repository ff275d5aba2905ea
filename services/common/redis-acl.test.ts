// The Redis ACL users: rendered with no access but what is listed, passwords only as hashes;
// and the declaration keeps up with the code: every command a service's Lua scripts call is
// granted to that service's user (Redis refuses a script's call the caller may not make).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aclAdminArgs, aclUserArgs, loadRedisUsers, parseRedisUsers, redisUserUrl } from './redis-acl.ts';

const root = new URL('../../', import.meta.url).pathname;
const users = loadRedisUsers(`${root}deploy/security/redis-users.json`);

function filesNamed(dir: string, names: Set<string>, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) filesNamed(p, names, out);
    else if (names.has(e)) out.push(p);
  }
  return out;
}
const callsIn = (text: string) => [...text.matchAll(/redis\.p?call\('([A-Za-z]+)'/g)].map((m) => m[1]!.toLowerCase());

/** Which service runs which scripts (the join's scripts may live in another folder later: found by name). */
const SCRIPTS: Record<string, string[]> = {
  ingest: ['dedupe.lua'],
  correlator: ['index-one.lua', 'index-many.lua', 'index-and-probe.lua', 'range-events.lua', 'read-nearest.lua', 'range-many.lua', 'advance-flow-marks.lua',
    'rebuild-claim.lua', 'rebuild-progress.lua', 'rebuild-done.lua', 'mark-built.lua', 'window-ttl.lua'],
  tracer: ['register-and-probe.lua', 'read-nearest.lua', 'unregister.lua', 'range-events.lua', 'chain-store.ts'],
};

describe('Redis ACL users', () => {
  it('grants each service the commands its scripts call', () => {
    expect(Object.keys(users).sort()).toEqual(Object.keys(SCRIPTS).sort());
    for (const [svc, names] of Object.entries(SCRIPTS)) {
      const files = filesNamed(`${root}services`, new Set(names));
      expect(files.length, `${svc}: scripts found`).toBeGreaterThanOrEqual(names.length);
      const calls = new Set(files.flatMap((f) => callsIn(readFileSync(f, 'utf8'))));
      expect(calls.size).toBeGreaterThan(0);
      for (const c of calls) expect(users[svc]!.commands, `${svc} calls ${c} in a script`).toContain(c);
    }
  });

  it('renders a user that can do nothing but what is listed, by password hash', () => {
    const args = aclUserArgs('ingest', users.ingest!, 's3cret-pw');
    expect(args.slice(0, 3)).toEqual(['ingest', 'reset', 'on']);
    expect(args).toContain(`#${createHash('sha256').update('s3cret-pw').digest('hex')}`);
    expect(args.join(' ')).not.toContain('s3cret-pw');
    expect(args.indexOf('-@all')).toBeLessThan(args.indexOf('+set'));
    expect(args.filter((a) => a.startsWith('~'))).toEqual(['~ct:dd:*']);
    expect(aclAdminArgs('x').slice(-3)).toEqual(['~*', '&*', '+@all']);
    expect(redisUserUrl('tracer', 'a/b@c', 'h:1')).toBe('redis://tracer:a%2Fb%40c@h:1');
  });

  it('refuses a declaration that would widen or break a user', () => {
    expect(() => parseRedisUsers('{"users":{"default":{"keys":["*"],"commands":["get"]}}}')).toThrow(/not "default"/);
    expect(() => parseRedisUsers('{"users":{"x":{"keys":["a b"],"commands":["get"]}}}')).toThrow(/key patterns/);
    expect(() => parseRedisUsers('{"users":{"x":{"keys":["a"],"commands":["+@all"]}}}')).toThrow(/command names/);
    expect(() => parseRedisUsers('{"users":{"x":{"keys":[],"commands":["get"]}}}')).toThrow(/key patterns/);
  });
});
