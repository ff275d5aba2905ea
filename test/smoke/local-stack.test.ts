// The local-process stack (deploy/local/stack.sh) on non-default ports: `up` brings Kafka,
// the registry, Redis and PostgreSQL to life, a message goes through Kafka, and `down` closes every port.
// Runs in every mode but external (where the environment gives the stack and may lack Java).
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { Partitioners } from 'kafkajs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseStackEnv, stackSh } from '../setup/local-stack.ts';
import { consumeMessages } from '../support/consume.ts';
import { createTopics, stackEndpoints, testKafka, uniqueTopic } from '../support/stack.ts';

const LIB_SH = resolve(import.meta.dirname, '../../deploy/local/lib.sh');

describe('local-process stack', () => {
  it('comes up on non-default ports, carries a message and closes its ports on down', { timeout: 300_000 }, async (ctx) => {
    if (stackEndpoints().mode === 'external') ctx.skip('external stack: the local-process stack is not under test');
    const [kafkaPort, controllerPort, registryPort, redisPort, postgresPort, mtlsPort] = (await freePorts(6)) as [number, number, number, number, number, number];
    const env: NodeJS.ProcessEnv = {
      KAFKA_PORT: String(kafkaPort),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_MTLS_PORT: String(mtlsPort),
      REGISTRY_PORT: String(registryPort),
      REDIS_PORT: String(redisPort),
      POSTGRES_PORT: String(postgresPort),
      STACK_TIMEOUT: '180',
    };
    // With STACK_DIR support the run is isolated in a scratch folder; without it, it shares
    // .stack/ and must not disturb a stack that is already running there.
    const ownDir = /STACK_DIR="\$\{STACK_DIR:-/.test(readFileSync(LIB_SH, 'utf8'));
    if (ownDir) {
      env.STACK_DIR = await mkdtemp(join(tmpdir(), 'crosstrace-stack-'));
      await chmod(env.STACK_DIR, 0o755); // as root, PostgreSQL runs as the postgres user and must reach its data dir
    } else if (/\b(running|not answering)\b/.test(await stackSh('status').catch(() => ''))) {
      ctx.skip('a local stack already runs in .stack/ and stack.sh has no STACK_DIR to run a second one apart');
    }

    try {
      await stackSh('up', env);
      const endpoints = parseStackEnv(await stackSh('env', env));
      expect(endpoints.kafkaBrokers).toEqual([`127.0.0.1:${kafkaPort}`]);
      expect(endpoints.schemaRegistryUrl).toContain(`:${registryPort}/`);
      expect(endpoints.redisUrl).toMatch(new RegExp(`^redis://:[^@]+@127\\.0\\.0\\.1:${redisPort}$`));

      const kafka = testKafka('smoke-local-stack', endpoints.kafkaBrokers, endpoints.kafkaClientProperties);
      const admin = kafka.admin();
      await admin.connect();
      const topic = uniqueTopic('smoke.local');
      await createTopics(admin, [topic], 1);
      await admin.disconnect();
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'through the local stack' }] });
      await producer.disconnect();
      const [got] = await consumeMessages(kafka, topic, 1);
      expect(got?.message.value?.toString()).toBe('through the local stack');

      const subjects = await fetch(`${endpoints.schemaRegistryUrl}/subjects`);
      expect(subjects.status).toBe(200);
      const redis = new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 1 });
      expect(await redis.ping()).toBe('PONG');
      await redis.quit();
      // without the password: refused
      expect(await rawRedisReply(redisPort, 'PING\r\n')).toMatch(/^-NOAUTH/);
      expect(endpoints.databaseUrl).toContain(`@127.0.0.1:${postgresPort}/`);
      const db = new pg.Client({ connectionString: endpoints.databaseUrl });
      db.on('error', () => undefined); // `down` below ends the session if an assertion left it open
      await db.connect();
      try {
        expect((await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v).toMatch(/^15\./);
      } finally {
        await db.end();
      }
    } finally {
      await stackSh('down', env);
      if (env.STACK_DIR) await rm(env.STACK_DIR, { recursive: true, force: true });
    }

    for (const port of [kafkaPort, controllerPort, mtlsPort, registryPort, redisPort, postgresPort]) {
      expect(await accepts(port), `port ${port} closed after down`).toBe(false);
    }
  });
});

/** Distinct free TCP ports, held together while choosing so none is picked twice. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((ok, fail) => {
      const s = createServer().on('error', fail);
      s.listen(0, '127.0.0.1', () => ok(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}

/** The first reply line of a Redis server to `command`, sent on a bare socket (no client library, no AUTH). */
function rawRedisReply(port: number, command: string): Promise<string> {
  return new Promise((ok, fail) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(command));
    socket.setTimeout(5000, () => socket.destroy(new Error('no reply from redis in 5 s')));
    socket.once('data', (d) => { socket.destroy(); ok(d.toString('utf8').split('\r\n')[0] ?? ''); });
    socket.on('error', fail);
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000, () => (socket.destroy(), ok(false)));
    socket.on('connect', () => (socket.destroy(), ok(true)));
    socket.on('error', () => ok(false));
  });
}
