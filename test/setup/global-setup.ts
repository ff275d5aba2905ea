// vitest globalSetup of the `integration` project: gets a real Kafka, schema registry and Redis,
// hands their addresses to the tests (`stackEndpoints()` in test/support/stack.ts) and says in one
// line which of the three ways it used:
//   external        KAFKA_BROKERS, SCHEMA_REGISTRY_URL and REDIS_URL are all set: use them;
//   testcontainers  a Docker-compatible API answers (DOCKER_HOST, /var/run/docker.sock or
//                   /run/podman/podman.sock): containers from CROSSTRACE_{KAFKA,REGISTRY,REDIS}_IMAGE;
//   local           otherwise: deploy/local/stack.sh up (and down at the end if this run started it).
// CROSSTRACE_STACK=external|testcontainers|local forces one of them.
import type { TestProject } from 'vitest/node';
import type { StackEndpoints, StackMode } from '../support/stack.ts';
import { findContainerRuntime } from './container-runtime.ts';
import { startLocalStack } from './local-stack.ts';
import { stackImages, startContainerStack } from './testcontainers-stack.ts';

const MODES: readonly StackMode[] = ['external', 'testcontainers', 'local'];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = process.env;
  const forced = (env.CROSSTRACE_STACK || undefined) as StackMode | undefined;
  if (forced !== undefined && !MODES.includes(forced)) {
    throw new Error(`CROSSTRACE_STACK=${forced} is not one of ${MODES.join(', ')}; unset it to choose automatically`);
  }
  const t0 = Date.now();
  let endpoints: StackEndpoints;
  let detail: string;
  let teardown = async (): Promise<void> => {};

  const external = [env.KAFKA_BROKERS, env.SCHEMA_REGISTRY_URL, env.REDIS_URL];
  const runtime = forced === undefined || forced === 'testcontainers' ? await findContainerRuntime(env) : undefined;
  const mode: StackMode = forced ?? (external.every(Boolean) ? 'external' : runtime ? 'testcontainers' : 'local');

  if (mode === 'external') {
    const [brokers, registry, redis] = external;
    if (!brokers || !registry || !redis) {
      throw new Error('CROSSTRACE_STACK=external needs KAFKA_BROKERS, SCHEMA_REGISTRY_URL and REDIS_URL all set');
    }
    endpoints = {
      mode, kafkaBrokers: brokers.split(','), schemaRegistryUrl: registry, redisUrl: redis, databaseUrl: env.DATABASE_URL ?? '',
      kafkaClientProperties: env.KAFKA_CLIENT_PROPERTIES || undefined, kafkaMtlsBrokers: env.KAFKA_MTLS_BROKERS?.split(','),
    };
    detail = 'from KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL';
  } else if (mode === 'testcontainers') {
    if (!runtime) {
      throw new Error('CROSSTRACE_STACK=testcontainers but no Docker-compatible API answers (DOCKER_HOST, /var/run/docker.sock, /run/podman/podman.sock); run make podman-setup');
    }
    env.DOCKER_HOST = runtime.dockerHost;
    if (runtime.isPodman) {
      // No Ryuk on Podman (its image is not available offline): containers carry labels and
      // are removed by label at teardown and, after a crash, at the start of the next run.
      env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
      env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';
    }
    const images = stackImages(env);
    const stack = await startContainerStack(images);
    endpoints = { mode, ...stack.endpoints };
    teardown = stack.stop;
    detail = `${runtime.engine} at ${runtime.dockerHost}; ${images.kafka}, ${images.registry}, ${images.redis}, ${images.postgres}`;
  } else {
    const stack = await startLocalStack();
    endpoints = { mode, ...stack.endpoints };
    teardown = stack.stop;
    detail = `deploy/local/stack.sh, ${stack.reused ? 'already running, left running' : 'stopped at the end'}`;
  }

  console.log(
    `crosstrace stack: ${mode} (${detail}) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ` +
      `kafka ${endpoints.kafkaBrokers.join(',')} registry ${endpoints.schemaRegistryUrl} redis ${endpoints.redisUrl.replace(/:[^:@/]*@/, ':***@')} postgres ${endpoints.databaseUrl.replace(/:[^:@/]*@/, ':***@') || '(no DATABASE_URL)'}`,
  );
  project.provide('crosstraceStack', endpoints);
  return teardown;
}
