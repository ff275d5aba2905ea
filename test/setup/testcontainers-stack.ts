// Kafka (single KRaft node), an Apicurio registry and Redis as containers, started in parallel.
// Image names are configuration; the container settings follow the official images' contracts
// (apache/kafka env variables, apicurio-registry-mem on 8080, redis on 6379), which the locally
// built localhost/crosstrace/* images honour too.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { aclUserArgs, loadRedisUsers, redisUserUrl } from '../../services/common/redis-acl.ts';
import type { StackEndpoints } from '../support/stack.ts';
import { CONTAINER_DIR, makeKafkaSecurityFiles } from './kafka-security-files.ts';

export interface StackImages {
  kafka: string;
  registry: string;
  redis: string;
  postgres: string;
}

/** Official images; CROSSTRACE_KAFKA_IMAGE / _REGISTRY_IMAGE / _REDIS_IMAGE / _POSTGRES_IMAGE override each. */
export function stackImages(env: NodeJS.ProcessEnv): StackImages {
  return {
    kafka: env.CROSSTRACE_KAFKA_IMAGE || 'apache/kafka:4.4.0',
    registry: env.CROSSTRACE_REGISTRY_IMAGE || 'apicurio/apicurio-registry-mem:2.6.13.Final',
    redis: env.CROSSTRACE_REDIS_IMAGE || 'redis:7',
    postgres: env.CROSSTRACE_POSTGRES_IMAGE || 'postgres:15',
  };
}

/** Every container of this suite carries these; the owner label lets a later run remove leaks. */
const STACK_LABEL = 'org.crosstrace.stack';
const OWNER_LABEL = 'org.crosstrace.owner';
const STACK_VALUE = 'integration';
const OWNER = `${hostname()}/${process.pid}`;
const STARTUP_TIMEOUT_MS = 180_000;

export interface ContainerStack {
  endpoints: Omit<StackEndpoints, 'mode'>;
  stop(): Promise<void>;
}

export async function startContainerStack(images: StackImages): Promise<ContainerStack> {
  const client = await getContainerRuntimeClient();
  await removeContainers((labels) => {
    const [host, pid] = (labels[OWNER_LABEL] ?? '').split('/');
    return host === hostname() && !processAlive(Number(pid));
  });
  // The client and the containers meet on the runtime's host; localhost may resolve to ::1,
  // which Podman's port forwarding does not serve.
  const host = client.info.containerRuntime.host === 'localhost' ? '127.0.0.1' : client.info.containerRuntime.host;

  const redisAuth = redisPasswords();
  const started = await Promise.allSettled([startKafka(images.kafka, host), startRegistry(images.registry), startRedis(images.redis, redisAuth), startPostgres(images.postgres)]);
  const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.allSettled(ok.map((c) => c.stop()));
    await removeContainers((labels) => labels[OWNER_LABEL] === OWNER);
    for (const c of ok) if ('securityDir' in c) rmSync((c as StartedKafka).securityRoot, { recursive: true, force: true });
  };
  const failures = started.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    await stop();
    throw new Error(
      `could not start the stack containers (${images.kafka}, ${images.registry}, ${images.redis}, ${images.postgres}): ` +
        failures.map((f) => (f instanceof Error ? f.message : String(f))).join('; ') +
        ' — where no image registry is reachable, build local images with `make images` and run `make test-integration`',
      { cause: failures[0] },
    );
  }
  const [kafka, registry, redis, postgres] = ok as [StartedKafka, StartedTestContainer, StartedTestContainer, StartedTestContainer];
  return {
    endpoints: {
      kafkaBrokers: [`${host}:${kafka.port}`],
      kafkaClientProperties: kafka.adminProperties,
      kafkaMtlsBrokers: [`${host}:${kafka.mtlsPort}`],
      kafkaSecurityDir: kafka.securityDir,
      schemaRegistryUrl: `http://${host}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
      redisUrl: redisUserUrl('default', redisAuth.admin, `${host}:${redis.getMappedPort(6379)}`),
      redisUserUrls: Object.fromEntries(Object.keys(redisAuth.users).map((u) => [u, redisUserUrl(u, redisAuth.users[u]!.password, `${host}:${redis.getMappedPort(6379)}`)])),
      databaseUrl: `postgres://${PG.user}:${PG.password}@${host}:${postgres.getMappedPort(5432)}/${PG.db}`,
    },
    stop,
  };
}

type StartedKafka = StartedTestContainer & { port: number; mtlsPort: number; adminProperties: string; securityDir: string; securityRoot: string };

/**
 * Kafka tells clients the address to reconnect to, so the host ports must be known before the
 * broker starts: free host ports P and M are mapped to the container's SASL_SSL 9092 and
 * mutual-TLS 9095 listeners and advertised as host:P, host:M. The broker reaches itself
 * (transaction markers, ...) on a third, internal SASL_SSL listener; the controller listens on
 * the container's loopback only. Configuration, certificates and SCRAM users are made on the
 * host (kafka-security-files.ts) and copied in; the start script formats with the users. If a
 * port is taken between the probe and the start, others are tried.
 */
async function startKafka(image: string, host: string): Promise<StartedKafka> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const mtlsPort = await freePort();
    const files = makeKafkaSecurityFiles(host, port, mtlsPort);
    try {
      const container = await labelled(new GenericContainer(image))
        .withExposedPorts({ container: 9092, host: port }, { container: 9095, host: mtlsPort })
        .withCopyContentToContainer(files.containerFiles)
        .withEntrypoint(['bash', `${CONTAINER_DIR}/start.sh`])
        .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
        .withStartupTimeout(STARTUP_TIMEOUT_MS)
        .start();
      return Object.assign(container, { port, mtlsPort, adminProperties: files.adminProperties, securityDir: files.dir, securityRoot: files.root });
    } catch (err) {
      lastError = err;
      if (!/address already in use|port is already allocated/i.test(String(err))) break;
    }
  }
  throw new Error(`Kafka (${image}) did not start: ${lastError instanceof Error ? lastError.message : String(lastError)}`, {
    cause: lastError,
  });
}

/** A registry container of its own (empty), for a test that needs a registry nobody used yet;
 *  stop it at the end. */
export const startRegistryContainer = (image: string): Promise<StartedTestContainer> => startRegistry(image);

function startRegistry(image: string): Promise<StartedTestContainer> {
  return labelled(new GenericContainer(image))
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080).forStatusCode(200))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
}

/** Redis as the local stack runs it: the default user is the admin (a password for this run),
 *  each service has its ACL user from deploy/security/redis-users.json. */
function redisPasswords() {
  const pw = () => randomBytes(18).toString('base64url');
  const specs = loadRedisUsers(new URL('../../deploy/security/redis-users.json', import.meta.url).pathname);
  return { admin: pw(), users: Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, { spec, password: pw() }])) };
}

function startRedis(image: string, auth: ReturnType<typeof redisPasswords>): Promise<StartedTestContainer> {
  return labelled(new GenericContainer(image))
    // the images' own settings (AOF: a restarted Redis keeps its state; window encodings), plus the logins
    .withCommand(['redis-server', '--bind', '0.0.0.0', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--auto-aof-rewrite-min-size', '1gb', '--hash-max-listpack-entries', '128', '--hash-max-listpack-value', '512', '--zset-max-listpack-value', '128', '--requirepass', auth.admin,
      ...Object.entries(auth.users).flatMap(([name, u]) => ['--user', ...aclUserArgs(name, u.spec, u.password)])])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
}

/** Credentials of the throwaway test database (the container lives as long as the run). */
const PG = { user: 'crosstrace', password: 'crosstrace-test', db: 'crosstrace' } as const;

/** The official postgres image's contract (POSTGRES_* env, port 5432), which
 *  localhost/crosstrace/postgres:15 honours too. Ready when pg_isready answers on TCP: both
 *  images run their initialisation server on the Unix socket only. */
function startPostgres(image: string): Promise<StartedTestContainer> {
  return labelled(new GenericContainer(image))
    .withEnvironment({ POSTGRES_USER: PG.user, POSTGRES_PASSWORD: PG.password, POSTGRES_DB: PG.db })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forSuccessfulCommand(`pg_isready -h 127.0.0.1 -p 5432 -U ${PG.user} -d ${PG.db}`))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
}

function labelled(container: GenericContainer): GenericContainer {
  return container.withLabels({ [STACK_LABEL]: STACK_VALUE, [OWNER_LABEL]: OWNER });
}

/** Force-removes this suite's containers (running or not) whose labels match. */
async function removeContainers(match: (labels: Record<string, string>) => boolean): Promise<void> {
  const { dockerode } = (await getContainerRuntimeClient()).container;
  const all = await dockerode.listContainers({ all: true, filters: { label: [`${STACK_LABEL}=${STACK_VALUE}`] } });
  await Promise.allSettled(all.filter((c) => match(c.Labels ?? {})).map((c) => dockerode.getContainer(c.Id).remove({ force: true })));
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
