// Starts crosstrace services in-process against the stack under test, each with its own
// consumer group and an ephemeral HTTP port, and stops them after the test file.
import type { StackEndpoints } from './stack.ts';

export function serviceEnv(stack: StackEndpoints, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    REDIS_URL: stack.redisUrl,
    LOG_LEVEL: process.env.CROSSTRACE_TEST_LOG_LEVEL ?? 'warn',
    ...extra,
  };
}

/** A consumer group id unique to this run. */
export const uniqueGroup = (name: string): string => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
