// Issue 12 part 7 on the real Redis of the stack under test: each service's ACL user
// (deploy/security/redis-users.json) does what its code does, and is refused (NOPERM) a key
// of another service, a command it has no use for and a script that reaches outside its keys;
// a wrong password and no password are refused. The services themselves run as these users in
// every integration test that starts them (test/support/services.ts serviceEnv).
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../services/common/errors.ts';
import { WINDOWS_READ_UNDER } from '../services/tracer/chain-store.ts';
import { STATE_MARKER } from '../services/join/state-rebuild.ts';
import { stackEndpoints } from './support/stack.ts';

const stack = stackEndpoints();
const urls = stack.redisUserUrls;
const run = Date.now().toString(36);

/** Sends inline commands on one TCP connection and returns one reply line each. */
function rawSession(host: string, port: number, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port }, () => sock.write(commands.map((c) => `${c}\r\n`).join('')));
    let buf = '';
    sock.on('data', (d) => {
      buf += String(d);
      const lines = buf.split('\r\n').filter(Boolean);
      if (lines.length >= commands.length) { sock.destroy(); resolve(lines.slice(0, commands.length)); }
    });
    sock.on('error', reject);
    setTimeout(() => { sock.destroy(); reject(new Error(`no ${commands.length} replies: ${JSON.stringify(buf)}`)); }, 5000);
  });
}

/** 'NOPERM' when Redis refused it for the user's ACL: a command's NOPERM reply, or the ERR a
 *  script gets for a call or key its caller may not use (7.0's and 7.2's wordings); else the
 *  reply's first word. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try { await p; return 'allowed'; } catch (e) {
    const msg = (e as Error).message;
    return /^NOPERM |user executing the script can't (run this command|access)|^ERR ACL failure in script/.test(msg) ? 'NOPERM' : msg;
  }
}

describe.skipIf(!urls)('Redis ACL users: least privilege per service', () => {
  const clients: Record<string, Redis> = {};
  beforeAll(async () => {
    for (const [name, url] of Object.entries(urls!)) {
      clients[name] = new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: true });
      await clients[name].connect();
    }
  });
  afterAll(async () => {
    for (const c of Object.values(clients)) c.disconnect();
    const admin = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
    await admin.del(`ct:dd:${run}/e1`, `ct:fe:{${run}}`, `ct:ft:{${run}}`, `ct:chain:{${run}}`);
    admin.disconnect();
  });

  it('ingest: its dedupe keys only', async () => {
    const r = clients.ingest!;
    expect(await r.set(`ct:dd:${run}/e1`, 'flows.raw/0/1', 'PX', 60_000, 'NX', 'GET')).toBeNull();
    expect(await r.eval("return redis.call('SET', KEYS[1], ARGV[1], 'PX', 60000, 'NX', 'GET')", 1, `ct:dd:${run}/e1`, 'x')).toBe('flows.raw/0/1');
    expect(await refusal(r.hget(`ct:chain:{${run}}`, 'state'))).toBe('NOPERM');
    expect(await refusal(r.set(`ct:fe:{${run}}`, 'x'))).toBe('NOPERM');
    expect(await refusal(r.get(`ct:dd:${run}/e1`))).toBe('NOPERM'); // a command it never runs
    expect(await refusal(r.eval("return redis.call('HSET', KEYS[1], 'seq', 1)", 1, `ct:chain:{${run}}`))).toBe('NOPERM');
    expect(await refusal(r.eval("return redis.call('SET', 'ct:chain:{x}', 1)", 0))).toBe('NOPERM'); // an undeclared key, checked at the call
  });

  it('correlator: the event side of the windows and the state marker, never chains or dedupe', async () => {
    const r = clients.correlator!;
    const ev = `ct:fe:{${run}}`;
    expect(await r.eval("return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])", 1, ev, 'u1', 'payload')).toBe(1);
    expect(await r.eval("redis.call('ZADD', KEYS[1], 5, 'u1'); return redis.call('ZRANGEBYSCORE', KEYS[1], 0, 10)", 1, `ct:ft:{${run}}`)).toEqual(['u1']);
    expect(await r.exists(STATE_MARKER)).toBeGreaterThanOrEqual(0);
    expect(await r.dbsize()).toBeGreaterThan(0);
    expect(await refusal(r.eval("return redis.call('HGET', KEYS[1], 'state')", 1, `ct:chain:{${run}}`))).toBe('NOPERM');
    expect(await refusal(r.smembers('ct:traces:open'))).toBe('NOPERM');
    expect(await refusal(r.set(`ct:dd:${run}/e2`, 'x'))).toBe('NOPERM');
    expect(await refusal(r.del(ev))).toBe('NOPERM');
    expect(await refusal(r.keys('ct:*'))).toBe('NOPERM');
  });

  it('tracer: lookups on the windows and its chain state, never dedupe or the event writes', async () => {
    const r = clients.tracer!;
    const chain = `ct:chain:{${run}}`;
    expect(await r.eval("redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'state', ARGV[2]); return 1", 1, chain, 1, '{}')).toBe(1);
    expect(await r.hget(chain, 'seq')).toBe('1');
    expect(await r.sadd('ct:traces:open', `t-${run}`)).toBe(1);
    expect(await r.srem('ct:traces:open', `t-${run}`)).toBe(1);
    expect(await r.eval("return redis.call('HMGET', KEYS[1], 'u1')", 1, `ct:fe:{${run}}`)).toEqual(['payload']);
    expect(await refusal(r.eval("return redis.call('HSETNX', KEYS[1], 'u2', 'forged event')", 1, `ct:fe:{${run}}`))).toBe('NOPERM');
    expect(await refusal(r.set(`ct:dd:${run}/e3`, 'x'))).toBe('NOPERM');
    // the windows' marker: GET around each window read and in each tick (engine.ts's fence)
    await expect(r.get(STATE_MARKER)).resolves.toSatisfy((v: unknown) => v === null || typeof v === 'string');
    // the build the open chains were last read under (engine.ts tick): GET and SET; put back as it was
    const was = await r.get(WINDOWS_READ_UNDER);
    expect(await r.set(WINDOWS_READ_UNDER, was ?? `acl-${run}`)).toBe('OK');
    if (was === null) expect(await r.pexpire(WINDOWS_READ_UNDER, 0)).toBe(1);
    expect(await refusal(r.get(`ct:dd:${run}/e1`))).toBe('NOPERM');
    expect(await refusal(r.del(chain))).toBe('NOPERM');
  });

  it('what a service meets from an ACL it lacks is retried as an outage, never dead-lettered as the record\'s fault', async () => {
    // a release whose service needs a command its running Redis's ACL does not give it yet
    // (users are loaded when Redis starts): its records must wait, not go to the dead letters
    const r = clients.ingest!;
    const refusals = [r.get(`ct:dd:${run}/e1`), r.eval("return redis.call('HSET', KEYS[1], 'seq', 1)", 1, `ct:chain:{${run}}`),
      r.eval("return redis.call('SET', 'ct:chain:{x}', 1)", 0)];
    for (const p of refusals) {
      const e = await p.then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(Error);
      expect(classify(e), (e as Error).message).toMatchObject({ code: 'CT_REDIS_DENIED', retriable: true });
    }
    // a script's own error stays the record's (CT_REDIS_REJECTED: dead-lettered, its partition goes on)
    const own = await r.eval("return redis.call('SET', KEYS[1])", 1, `ct:dd:${run}/e1`).then(() => undefined, (x: unknown) => x);
    expect(classify(own), (own as Error).message).toMatchObject({ code: 'CT_REDIS_REJECTED', retriable: false });
  });

  it('no service may flush, reconfigure, or read the ACLs', async () => {
    for (const [name, r] of Object.entries(clients)) {
      for (const cmd of [r.flushall(), r.flushdb(), r.config('GET', 'requirepass'), r.call('ACL', 'LIST'), r.call('SHUTDOWN', 'NOSAVE'), r.call('SCRIPT', 'FLUSH'), r.call('CLIENT', 'KILL', 'TYPE', 'normal')]) {
        expect(await refusal(cmd), name).toBe('NOPERM');
      }
    }
  });

  it('a wrong password and no password are refused', async () => {
    // a plain connection, no client library in between: nothing before AUTH, and AUTH with a wrong password fails
    const { hostname, port } = new URL(urls!.tracer!);
    const replies = await rawSession(hostname, Number(port), ['GET ct:chain:{x}', 'AUTH tracer not-the-password', 'AUTH default not-the-password', 'GET ct:chain:{x}']);
    expect(replies.map((r) => r.split(' ')[0])).toEqual(['-NOAUTH', '-WRONGPASS', '-WRONGPASS', '-NOAUTH']);
  });
});
