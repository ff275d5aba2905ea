import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CrosstraceError, ERROR_CODES, classify, dependencyDown, isPermanent, permanent } from './errors.ts';
import { RespError } from './resp.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === 'node_modules' ? [] : sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('errors', () => {
  it('every CT_ code used in services/ is documented in ERROR_CODES', () => {
    const root = new URL('../', import.meta.url).pathname;
    const used = new Set<string>();
    for (const f of sources(root)) for (const m of readFileSync(f, 'utf8').matchAll(/'(CT_[A-Z_]+)'/g)) used.add(m[1]!);
    const undocumented = [...used].filter((c) => !(c in ERROR_CODES));
    expect(undocumented).toEqual([]);
    expect(used.size).toBeGreaterThan(5);
  });

  it('carries code, retriable, cause and coordinates', () => {
    const cause = new Error('boom');
    const e = permanent('CT_BAD_MAGIC', 'first byte 0x7b', { topic: 'flows.raw', partition: 2, offset: '41', cause });
    expect(e).toBeInstanceOf(CrosstraceError);
    expect([e.code, e.retriable, e.topic, e.partition, e.offset, e.cause]).toEqual(['CT_BAD_MAGIC', false, 'flows.raw', 2, '41', cause]);
    expect(isPermanent(e)).toBe(true);
    const d = dependencyDown('redis down', cause);
    expect([d.code, d.retriable, isPermanent(d)]).toEqual(['CT_DEPENDENCY_DOWN', true, false]);
    expect(isPermanent(new Error('plain'))).toBe(false);
  });
});

describe('classify', () => {
  it('keeps a CrosstraceError, makes outages retriable and everything else a per-record failure', () => {
    const p = permanent('CT_BAD_MAGIC', 'x');
    expect(classify(p)).toBe(p);
    const kafka = Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError' });
    expect(classify(kafka)).toMatchObject({ code: 'CT_DEPENDENCY_DOWN', retriable: true });
    expect(classify(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({ retriable: true });
    expect(classify(new Error('Connection is closed.'))).toMatchObject({ retriable: true });
    expect(classify(new TypeError("Cannot read properties of undefined (reading 'x')"))).toMatchObject({ code: 'CT_PROCESSING_FAILED', retriable: false });
    expect(classify('a string')).toMatchObject({ code: 'CT_PROCESSING_FAILED', retriable: false });
  });
  it('a Redis refusal is the record\'s fault, a busy Redis is an outage', () => {
    const reply = (m: string) => Object.assign(new Error(m), { name: 'ReplyError' });
    expect(dependencyDown('probe failed', reply('ERR user_script:12: too many results to unpack'))).toMatchObject({ code: 'CT_REDIS_REJECTED', retriable: false });
    expect(dependencyDown('probe failed', reply('LOADING Redis is loading the dataset in memory'))).toMatchObject({ code: 'CT_DEPENDENCY_DOWN', retriable: true });
    expect(classify(reply('WRONGTYPE Operation against a key holding the wrong kind of value'))).toMatchObject({ retriable: false });
    // a transient reply thrown as ioredis throws it, not wrapped by the stage: retried too
    expect(classify(reply('LOADING Redis is loading the dataset in memory'))).toMatchObject({ code: 'CT_DEPENDENCY_DOWN', retriable: true });
    expect(classify(reply('BUSY Redis is busy running a script.'))).toMatchObject({ code: 'CT_DEPENDENCY_DOWN', retriable: true });
  });
  it('an ACL, authentication or persistence refusal is the deployment\'s, not the record\'s: retried, never dead-lettered', () => {
    const reply = (m: string) => Object.assign(new Error(m), { name: 'ReplyError' });
    // as Redis 7.0.15 words them (a user without SET calling it directly, and from a script)
    for (const m of ["NOPERM this user has no permissions to run the 'set' command",
      "ERR The user executing the script can't run this command or subcommand script: bd6f3018b28bbdb36260f19d3c44afed740db987, on @user_script:1.",
      "ERR The user executing the script can't access at least one of the keys mentioned in the command script: 1f0a, on @user_script:1.",
      // Redis 7.2 and later (the compose and testcontainers image redis:7)
      "ERR ACL failure in script: User ingest has no permissions to run the 'hset' command script: 1f0a, on @user_script:1.",
      'NOAUTH Authentication required.', 'WRONGPASS invalid username-password pair or user is disabled.',
      'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.']) {
      expect(dependencyDown('index failed', reply(m))).toMatchObject({ code: 'CT_REDIS_DENIED', retriable: true });
      expect(classify(reply(m))).toMatchObject({ code: 'CT_REDIS_DENIED', retriable: true });
    }
    // the raw connections' error replies (ingest's dedupe, a bulk connection's AUTH) name it the same way,
    // and their other replies stay as they were (retried)
    expect(dependencyDown('dedupe failed', new RespError("NOPERM User ingest has no permissions to run the 'evalsha' command"))).toMatchObject({ code: 'CT_REDIS_DENIED', retriable: true });
    expect(dependencyDown('bulk connection refused', new RespError('WRONGPASS invalid username-password pair or user is disabled.'))).toMatchObject({ code: 'CT_REDIS_DENIED', retriable: true });
    expect(dependencyDown('dedupe failed', new RespError('ERR Error running script'))).toMatchObject({ code: 'CT_DEPENDENCY_DOWN', retriable: true });
    // a script's own error stays the record's
    expect(classify(reply('ERR Error running script (call to f_1): @user_script:3: user_script:3: bad argument'))).toMatchObject({ code: 'CT_REDIS_REJECTED', retriable: false });
  });
});
