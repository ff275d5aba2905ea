// RADIUS accounting from a client no one here wrote: FreeRADIUS' radclient sends Start,
// Interim-Update and Stop with Acct-Delay-Time, Framed-IP-Address and Delegated-IPv6-Prefix;
// the collector answers each (radclient exits 0 only on a verified Accounting-Response),
// sessions.raw carries ACCESS_SESSION records, and ingest turns them into sessions.norm with
// the event time less Acct-Delay-Time. A wrong shared secret gets no answer and no record.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../schemas/types.gen.ts';
import { createRegistryClient } from '../services/common/registry.ts';
import { TOPICS } from '../services/common/topics.ts';
import { startIngest } from '../services/ingest/main.ts';
import { NAS_SECRET, startCollectorHarness } from './support/collector-harness.ts';
import { serviceEnv, uniqueGroup, waitHealthy } from './support/services.ts';
import { stackEndpoints, testKafka } from './support/stack.ts';

type Harness = Awaited<ReturnType<typeof startCollectorHarness>>;
const PROVIDERS = [{ providerId: 'zz-wire-bng', jurisdiction: 'US', name: 'wire test BNG', kind: 'ACCESS', prefixes: ['198.18.77.0/24', '2001:db8:177::/48'], exporters: ['127.0.0.1'], deterministicNat: [] }];

function radclient(port: number, secret: string, attrs: Record<string, string | number>): Promise<{ code: number; out: string }> {
  const input = Object.entries(attrs).map(([k, v]) => `${k} = ${typeof v === 'number' ? v : v.includes(' ') || /^[A-Za-z]/.test(v) && !/^(Start|Stop|Interim-Update|RADIUS)$/.test(v) ? `"${v}"` : v}`).join('\n');
  return new Promise((resolve) => {
    const p = execFile('radclient', ['-x', '-r', '1', '-t', '2', `127.0.0.1:${port}`, 'acct', secret], (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
    p.stdin!.end(`${input}\n`);
  });
}

describe('collector with radclient', () => {
  let h: Harness;
  let stopIngest: () => Promise<void>;
  const norm: SessionEvent[] = [];
  let stopReader: () => Promise<void>;
  const run = Date.now().toString(36);

  beforeAll(async () => {
    h = await startCollectorHarness(PROVIDERS);
    const stack = stackEndpoints();
    const ingest = await startIngest(serviceEnv(stack, {
      CROSSTRACE_INGEST_HTTP_PORT: '0', CROSSTRACE_INGEST_GROUP_ID: uniqueGroup('collector-radius-ingest'), CROSSTRACE_INGEST_FROM_BEGINNING: 'false',
      CROSSTRACE_INGEST_PROVIDERS_FILE: join(h.dir, 'providers.json'),
    }));
    stopIngest = ingest.stop;
    await waitHealthy(ingest.port());
    const registry = createRegistryClient({ url: stack.schemaRegistryUrl });
    await registry.ensureSubjects([TOPICS.sessionsNorm]);
    const c = testKafka('collector-radius').consumer({ groupId: uniqueGroup('collector-radius-norm'), maxWaitTimeInMs: 100 });
    await c.connect();
    await c.subscribe({ topics: [TOPICS.sessionsNorm], fromBeginning: false });
    await c.run({ eachMessage: async ({ message }) => { norm.push(await registry.decode<SessionEvent>(TOPICS.sessionsNorm, message.value)); } });
    stopReader = () => c.disconnect();
    await new Promise((r) => setTimeout(r, 2500));
  });
  afterAll(async () => { await stopReader?.(); await stopIngest?.(); await h?.stop(); });

  it('Start / Interim-Update / Stop become ACCESS_SESSION records with the right times', async () => {
    const port = h.ports['radius-udp']!;
    const sid = `wire-${run}`;
    const common = {
      'User-Name': 'alice@wire.example', 'NAS-IP-Address': '127.0.0.1', 'Framed-IP-Address': '198.18.77.9', 'Delegated-IPv6-Prefix': '2001:db8:177:4200::/56',
      'Calling-Station-Id': '02-00-00-00-00-09', 'Acct-Session-Id': sid, 'Acct-Authentic': 'RADIUS',
    };
    const sent: Record<string, [number, number]> = {};
    for (const [status, delay] of [['Start', 7], ['Interim-Update', 0], ['Stop', 3]] as const) {
      const before = Date.now();
      const r = await radclient(port, NAS_SECRET, { ...common, 'Acct-Status-Type': status, 'Acct-Delay-Time': delay });
      expect(r.code, r.out).toBe(0); // an Accounting-Response whose authenticator radclient verified
      expect(r.out).toContain('Accounting-Response');
      sent[status] = [before, Date.now()];
    }
    const raw = await h.waitFor('sessions.raw', () => { const s = h.seen.filter((x) => x.session?.acctSessionId === sid); return s.length === 3 ? s : undefined; });
    expect(raw.map((s) => [s.key, s.session!.kind, s.session!.action, s.session!.acctDelayTime])).toEqual([
      ['zz-wire-bng', 'ACCESS_SESSION', 'START', 7], ['zz-wire-bng', 'ACCESS_SESSION', 'INTERIM', 0], ['zz-wire-bng', 'ACCESS_SESSION', 'STOP', 3],
    ]);
    const start = raw[0]!.session!;
    expect(start).toMatchObject({ exporterId: '127.0.0.1', framedIpAddress: '198.18.77.9', delegatedIpv6Prefix: '2001:db8:177:4200::/56' });
    expect(start.subscriberHandle).toMatch(/^sub-[0-9a-f]{16}$/);
    expect(JSON.stringify(raw.map((s) => s.session))).not.toContain('alice');
    // sent at (receipt, collector clock); ingest subtracts Acct-Delay-Time
    const n = await h.waitFor('sessions.norm', () => { const s = norm.filter((x) => x.acctSessionId === sid); return new Set(s.map((x) => x.action)).size === 3 ? s : undefined; });
    for (const [status, action, delay] of [['Start', 'START', 7], ['Interim-Update', 'INTERIM', 0], ['Stop', 'STOP', 3]] as const) {
      const e = n.find((x) => x.action === action)!;
      const [lo, hi] = sent[status]!;
      expect(e.eventTime).toBeGreaterThanOrEqual(lo - delay * 1000);
      expect(e.eventTime).toBeLessThanOrEqual(hi - delay * 1000);
      expect(e.jurisdiction).toBe('US');
    }
  });

  // RFC 2866 5.1: a NAS that rebooted sends Accounting-On and never the Stops of the sessions it
  // lost; the collector records those Stops itself (accounting-table.ts), then answers
  it('Accounting-On after a reboot records a STOP for the NAS\'s open session, with its address', async () => {
    const port = h.ports['radius-udp']!;
    const sid = `onoff-${run}`;
    const start = await radclient(port, NAS_SECRET, { 'User-Name': 'bob@wire.example', 'NAS-IP-Address': '127.0.0.1', 'Framed-IP-Address': '198.18.77.11', 'Acct-Session-Id': sid, 'Acct-Status-Type': 'Start' });
    expect(start.code, start.out).toBe(0);
    const on = await radclient(port, NAS_SECRET, { 'NAS-IP-Address': '127.0.0.1', 'Acct-Status-Type': 'Accounting-On' });
    expect(on.code, on.out).toBe(0);
    expect(on.out).toContain('Accounting-Response');
    const raw = await h.waitFor('sessions.raw', () => { const s = h.seen.filter((x) => x.session?.acctSessionId === sid); return s.length === 2 ? s : undefined; });
    expect(raw.map((s) => [s.session!.action, s.session!.framedIpAddress, s.session!.subscriberHandle])).toEqual([
      ['START', '198.18.77.11', raw[0]!.session!.subscriberHandle], ['STOP', '198.18.77.11', raw[0]!.session!.subscriberHandle],
    ]);
    expect(raw[1]!.session!.eventId).toContain('~accounting-on~');
  });

  it('refuses a request signed with a wrong shared secret: no answer, no record, counted', async () => {
    const sid = `wrong-${run}`;
    const r = await radclient(h.ports['radius-udp']!, 'not-the-secret', { 'Acct-Status-Type': 'Start', 'Acct-Session-Id': sid, 'Framed-IP-Address': '198.18.77.10', 'User-Name': 'mallory' });
    expect(r.code).not.toBe(0);
    expect(r.out).not.toContain('Received Accounting-Response');
    await new Promise((res) => setTimeout(res, 1000));
    expect(h.seen.filter((s) => s.session?.acctSessionId === sid)).toEqual([]);
    expect(await h.metrics()).toMatch(/crosstrace_collector_drops_total\{exporter="127.0.0.1",protocol="radius",reason="CT_BAD_AUTHENTICATOR",service="collector"\} [1-9]/);
  });
});
