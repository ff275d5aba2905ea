// The CLI's environment: where the stack is (same keys and defaults as the services), and a
// kafkajs client that logs only errors, to stderr (stdout is the command's output).
import '../common/kafkajs-patch.ts';
import { Kafka, logLevel } from 'kafkajs';
import { commonSpec, defineConfig } from '../common/config.ts';

export const cliConfig = defineConfig('CROSSTRACE_CLI_', {
  KAFKA_BROKERS: commonSpec.KAFKA_BROKERS,
  SCHEMA_REGISTRY_URL: commonSpec.SCHEMA_REGISTRY_URL,
});

export function cliKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({
    clientId, brokers, connectionTimeout: 5_000, retry: { initialRetryTime: 200, retries: 5 }, logLevel: logLevel.ERROR,
    logCreator: () => ({ namespace, log }) => { process.stderr.write(`kafka ${namespace}: ${log.message}\n`); },
  });
}

/** Thrown for bad usage; main prints the message and the usage, exit code 1. */
export class UsageError extends Error {}
