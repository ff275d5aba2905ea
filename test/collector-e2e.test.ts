// Done-when of issue 15, on the real stack: a connection exported by softflowd (IPFIX) and the
// subscriber's RADIUS Start sent by radclient go through collector -> ingest -> correlator ->
// tracer; a trace of that connection opened through the gateway by GB ends at the US
// provider's subscriber (an ACCESS_SESSION hop whose evidence is the radclient record), and the
// softflowd flow of the same connection is on flows.norm, indexed under the traced address.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import type { FlowEvent, Provider } from '../schemas/types.gen.ts';
import { createRegistryClient, type RegistryClient } from '../services/common/registry.ts';
import { exporterHeartbeats } from '../services/simulator/record-scenario.ts';
import { TOPICS } from '../services/common/topics.ts';
import { conversationPackets, pcapFile } from './support/pcap-writer.ts';
import { NAS_SECRET, runSoftflowd, startCollectorHarness } from './support/collector-harness.ts';
import { startPipeline } from './support/pipeline.ts';
import { readerAtEnd } from './support/services.ts';
import { testKafka } from './support/stack.ts';

type Harness = Awaited<ReturnType<typeof startCollectorHarness>>;
const oct = () => 1 + Math.floor(Math.random() * 250);
const CLIENT = `198.18.${oct()}.${oct()}`; // us-access space
const CLIENT_PORT = 30000 + Math.floor(Math.random() * 20000);
const TOKEN = `gb-${Date.now()}-e2e-0123456789`;

// deploy/providers.json lists the loopback sender (softflowd, radclient here) as a us-access device
const providers = JSON.parse(readFileSync(new URL('../deploy/providers.json', import.meta.url), 'utf8')) as { providerId: string; exporters: string[] }[];
if (!providers.find((p) => p.providerId === 'us-access')?.exporters.includes('127.0.0.1')) throw new Error('deploy/providers.json: us-access must list exporter 127.0.0.1');

describe('softflowd flow + radclient session -> a hop in a trace opened through the gateway', () => {
  let h: Harness;
  const stops: (() => Promise<void>)[] = [];
  let base = '';
  const norm: { key: string; flow: FlowEvent }[] = [];
  let producer: Producer;
  let registry: RegistryClient;
  // live flow exporters export all the time: us-flow-1's records (unrelated traffic) move its
  // flow watermark past the subscriber host's relay lookup, which then settles (relay-settling.ts)
  let beat = 0;
  const heartbeat = () => producer.send({ topic: TOPICS.flowsRaw, messages: exporterHeartbeats(providers as unknown as Provider[], Date.now(), `wire-e2e-${Date.now().toString(36)}-${beat++}`)
    .map((f) => ({ key: f.exporterId, value: registry.encode(TOPICS.flowsRaw, f) })) });

  beforeAll(async () => {
    h = await startCollectorHarness(providers);
    const pipeline = await startPipeline({
      name: 'wire-e2e', providersFile: join(h.dir, 'providers.json'), keyFile: join(h.dir, 'node.pem'), gateway: { tokens: { GB: TOKEN } },
    });
    stops.push(pipeline.stop);
    base = pipeline.base;
    const stack = pipeline.stack;
    registry = createRegistryClient({ url: stack.schemaRegistryUrl });
    await registry.ensureSubjects([TOPICS.flowsNorm, TOPICS.flowsRaw]);
    producer = testKafka('wire-e2e-exporters').producer();
    await producer.connect();
    stops.push(() => producer.disconnect());
    // every flows.norm record from here on, however late the reader's first fetch
    const c = await readerAtEnd(testKafka('wire-e2e'), stack, 'wire-e2e-norm', [TOPICS.flowsNorm]);
    await c.run({ eachMessage: async ({ message }) => { if (message.value === null) return; /* a flow watermark record */ norm.push({ key: message.key?.toString() ?? '', flow: await registry.decode<FlowEvent>(TOPICS.flowsNorm, message.value) }); } });
    stops.push(() => c.disconnect());
  }, 300_000);
  afterAll(async () => { for (const s of stops.reverse()) await s(); await h?.stop(); });

  it('the trace of the softflowd-exported connection terminates at the radclient subscriber', async () => {
    // the subscriber's access session starts (radclient), then the connection happens (softflowd)
    const acct = await new Promise<{ code: number; out: string }>((resolve) => {
      const p = execFile('radclient', ['-x', '-r', '1', '-t', '3', `127.0.0.1:${h.ports['radius-udp']}`, 'acct', NAS_SECRET], (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }));
      p.stdin!.end(`Acct-Status-Type = Start\nAcct-Session-Id = "e2e-${CLIENT}"\nUser-Name = "bob@us.example"\nFramed-IP-Address = ${CLIENT}\nAcct-Delay-Time = 2\n`);
    });
    expect(acct.code, acct.out).toBe(0);
    const start = Date.now() + 1000;
    const pcap = join(h.dir, 'e2e.pcap');
    writeFileSync(pcap, pcapFile(conversationPackets({ src: CLIENT, dst: '192.0.2.10', sport: CLIENT_PORT, dport: 443, proto: 6, start, forward: [0, 300, 0], backward: [0, 1200, 0] })));
    await runSoftflowd(pcap, h.ports['ipfix-udp']!, ['-v', '10'], h.dir);
    const flow = await h.waitFor('the softflowd flow on flows.norm', () => norm.find((n) => n.flow.srcAddr === CLIENT && n.flow.srcPort === CLIENT_PORT));
    expect(flow).toMatchObject({ key: CLIENT, flow: { providerId: 'us-access', jurisdiction: 'US', dstAddr: '192.0.2.10', dstPort: 443, packets: 3 } });

    const res = await fetch(`${base}/v1/traces`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: `GB-NCA-wire-${Date.now().toString(36)}`, srcAddr: CLIENT, srcPort: CLIENT_PORT, dstAddr: '192.0.2.10', dstPort: 443, protocol: 6, observedTime: new Date(flow.flow.startTime + 5).toISOString(), toleranceMs: 2000 }),
    });
    expect(res.status).toBe(202);
    const { traceId } = (await res.json()) as { traceId: string };
    type View = { update: { status: string; hops: { method: string; providerId: string; jurisdiction: string; observedAddr: string; evidenceEventIds: string[] }[] }; verified: boolean };
    let last: View | undefined;
    const until = Date.now() + 60_000;
    for (;;) {
      const r = await fetch(`${base}/v1/traces/${traceId}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      if (r.ok) last = (await r.json()) as View;
      if (last?.update.status === 'TERMINATED_AT_SUBSCRIBER' || Date.now() > until) break;
      if (beat < (Date.now() - (until - 60_000)) / 1000) await heartbeat();
      await new Promise((r2) => setTimeout(r2, 200));
    }
    expect(last?.verified).toBe(true);
    expect(last?.update.status).toBe('TERMINATED_AT_SUBSCRIBER');
    const hop = last!.update.hops.find((x) => x.method === 'ACCESS_SESSION')!;
    expect(hop).toMatchObject({ providerId: 'us-access', jurisdiction: 'US', observedAddr: CLIENT });
    const rad = h.seen.find((s) => s.session?.acctSessionId === `e2e-${CLIENT}`)!;
    expect(hop.evidenceEventIds.join(' ')).toContain(rad.session!.eventId);
  });
});
