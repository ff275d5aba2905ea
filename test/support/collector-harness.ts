// Starts the collector in-process against the stack under test with its own provider and
// RADIUS files, and records what it writes to flows.raw, sessions.raw and dlq.collector.
// Also runs Debian's softflowd over a pcap file (it reads the file, then exports on EOF).
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Consumer } from 'kafkajs';
import type { FlowEvent, SessionEvent } from '../../schemas/types.gen.ts';
import { createRegistryClient, type RegistryClient } from '../../services/common/registry.ts';
import { TOPICS, dlqTopic } from '../../services/common/topics.ts';
import { startCollector } from '../../services/collector/main.ts';
import { serviceEnv, uniqueGroup, waitHealthy } from './services.ts';
import { stackEndpoints, testKafka } from './stack.ts';

export const NAS_SECRET = 'wire-test-secret-1';

export interface Seen { topic: string; key: string; value: Buffer | null; headers: Record<string, string>; flow?: FlowEvent; session?: SessionEvent }

export async function startCollectorHarness(providers: unknown[]) {
  const dir = mkdtempSync(join(tmpdir(), 'collector-test-'));
  writeFileSync(join(dir, 'providers.json'), JSON.stringify(providers));
  writeFileSync(join(dir, 'radius.json'), JSON.stringify({ nas: { '127.0.0.1': NAS_SECRET }, pseudonymKey: 'collector-test-pseudonym-key-0123456789' }));
  const stack = stackEndpoints();
  const svc = await startCollector(serviceEnv(stack, {
    CROSSTRACE_COLLECTOR_HTTP_PORT: '0', CROSSTRACE_COLLECTOR_IPFIX_PORT: '0', CROSSTRACE_COLLECTOR_NETFLOW9_PORT: '0', CROSSTRACE_COLLECTOR_RADIUS_PORT: '0',
    CROSSTRACE_COLLECTOR_PROVIDERS_FILE: join(dir, 'providers.json'), CROSSTRACE_COLLECTOR_RADIUS_FILE: join(dir, 'radius.json'),
    CROSSTRACE_COLLECTOR_PENDING_TIMEOUT_MS: '2000',
  }));
  await waitHealthy(svc.port());
  const registry: RegistryClient = createRegistryClient({ url: stack.schemaRegistryUrl });
  await registry.ensureSubjects([TOPICS.flowsRaw, TOPICS.sessionsRaw]);
  const seen: Seen[] = [];
  const consumer: Consumer = testKafka('collector-test').consumer({ groupId: uniqueGroup('collector-test-reader'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPICS.flowsRaw, TOPICS.sessionsRaw, dlqTopic('collector')], fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      const s: Seen = { topic, key: message.key?.toString() ?? '', value: message.value, headers };
      if (topic === TOPICS.flowsRaw) s.flow = await registry.decode<FlowEvent>(topic, message.value);
      if (topic === TOPICS.sessionsRaw) s.session = await registry.decode<SessionEvent>(topic, message.value);
      seen.push(s);
    },
  });
  await new Promise((r) => setTimeout(r, 2500)); // group joined, positioned at the end

  async function waitFor<T>(what: string, fn: () => T | undefined, ms = 30_000): Promise<T> {
    const until = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v !== undefined && !(Array.isArray(v) && v.length === 0)) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${svc.port()}/metrics`)).text();
  }

  return {
    dir, seen, waitFor, metrics, ports: svc.ports(), kernelDrops: svc.kernelDrops,
    async stop() { await consumer.disconnect(); await svc.stop(); },
  };
}

/** softflowd reading `pcap` and exporting to 127.0.0.1:port; resolves when it has exported and exited. */
export function runSoftflowd(pcap: string, port: number, args: string[], dir: string): Promise<string> {
  const ctl = join(dir, `sf-${port}-${args.join('')}.ctl`);
  return new Promise((resolve, reject) => {
    let out = '';
    const sf = spawn('softflowd', ['-r', pcap, '-n', `127.0.0.1:${port}`, '-d', '-p', join(dir, 'sf.pid'), '-c', ctl, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    sf.stdout.on('data', (d) => { out += String(d); });
    sf.stderr.on('data', (d) => { out += String(d); });
    // softflowd 1.1.0 reads the capture from its event loop, which a control-socket request wakes
    const poke = setInterval(() => execFile('softflowctl', ['-c', ctl, 'statistics'], () => {}), 300);
    const kill = setTimeout(() => sf.kill('SIGTERM'), 30_000);
    sf.on('error', (e) => { clearInterval(poke); clearTimeout(kill); reject(e); });
    sf.on('exit', (code) => { clearInterval(poke); clearTimeout(kill); if (code === 0) resolve(out); else reject(new Error(`softflowd exited ${code}: ${out}`)); });
  });
}
