// The CLI's environment: where the stack is (same keys and defaults as the services), how to
// authenticate (kafka-security.ts: KAFKA_CLIENT_PROPERTIES or explicit KAFKA_SASL_* / SSL
// variables), and a kafkajs client that logs only errors, to stderr (stdout is the output).
// KAFKA_BROKERS unset: the properties file's bootstrap.servers, else the default.
import '../common/kafkajs-patch.ts';
import { Kafka, logLevel } from 'kafkajs';
import { commonSpec, defineConfig } from '../common/config.ts';
import { kafkajsSecurity, kafkaSecuritySpec, resolveKafkaSecurity, type KafkaClientSecurity } from '../common/kafka-security.ts';

export const cliConfig = defineConfig('CROSSTRACE_CLI_', {
  KAFKA_BROKERS: commonSpec.KAFKA_BROKERS,
  SCHEMA_REGISTRY_URL: commonSpec.SCHEMA_REGISTRY_URL,
  ...kafkaSecuritySpec,
});
export type CliConfig = ReturnType<typeof cliConfig.parse>;

export interface CliKafka { kafka: Kafka; brokers: string[]; security: KafkaClientSecurity }

export function cliKafka(cfg: CliConfig, env: Record<string, string | undefined>, clientId: string): CliKafka {
  const security = resolveKafkaSecurity(cfg);
  const brokers = !env.KAFKA_BROKERS && security.bootstrap ? [...security.bootstrap] : cfg.KAFKA_BROKERS;
  const kafka = new Kafka({
    clientId, brokers, connectionTimeout: 5_000, retry: { initialRetryTime: 200, retries: 5 }, logLevel: logLevel.ERROR,
    ...kafkajsSecurity(security),
    logCreator: () => ({ namespace, log }) => { process.stderr.write(`kafka ${namespace}: ${log.message}\n`); },
  });
  return { kafka, brokers, security };
}

/** Thrown for bad usage; main prints the message and the usage, exit code 1. */
export class UsageError extends Error {}
