// kafkajs' log lines into the service's pino logger (component kafkajs), each at its own level
// but one: a refusal that kafkajs logs as ERROR for every response carrying it and then retries
// by itself, in the normal course of a transactional producer. CONCURRENT_TRANSACTIONS answers a
// transaction begun while the previous one's markers are still being written (a few ms; the
// tracer publishes back to back): one ERROR line per retry, none of them a fault. Logged at
// debug; should the retries run out, the error reaches the caller, which logs it as the failure
// it then is. Every other kafkajs error stays an error.
import { createRequire } from 'node:module';
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from './logger.ts';

const { createErrorFromCode } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error };

/** Messages of the protocol errors kafkajs retries by itself that are no fault (kafkajs' own texts). */
const RETRIED_NOT_FAULTS = new Set([51 /* CONCURRENT_TRANSACTIONS */].map((code) => createErrorFromCode(code).message));

/** kafkajs says it two ways: a broker response's line (`error` the text) and its producer's
 *  retry line (sendMessages.js: "Failed to send messages: <text>", or the text alone). */
const retriedNotFault = (message: string, rest: Record<string, unknown>): boolean =>
  (typeof rest.error === 'string' && RETRIED_NOT_FAULTS.has(rest.error)) || RETRIED_NOT_FAULTS.has(message.replace(/^Failed to send messages: /, ''));

/** kafkajs' `logCreator` writing to `logger`. */
export function kafkajsLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () => ({ level, log: entry }) => {
    const { message, ...rest } = entry;
    if (level <= logLevel.ERROR && retriedNotFault(message, rest)) log.debug(rest, message);
    else if (level <= logLevel.ERROR) log.error(rest, message);
    else if (level === logLevel.WARN) log.warn(rest, message);
    else log.info(rest, message);
  };
}
