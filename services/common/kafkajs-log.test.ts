import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { logLevel, type logCreator } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { kafkajsLogCreator } from './kafkajs-log.ts';

// kafkajs' own logger and error texts, so the lines are shaped as kafkajs writes them
const require = createRequire(import.meta.url);
const { createLogger } = require('kafkajs/src/loggers/index.js') as { createLogger(o: { level: number; logCreator: logCreator }): KafkajsLogger };
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error };
type Log = (message: string, extra?: Record<string, unknown>) => void;
interface KafkajsLogger { namespace(n: string): { error: Log; warn: Log; info: Log } }

/** A service logger at `debug` whose lines land in the returned array (pino levels: 20 debug ... 50 error). */
function captured() {
  const lines: { level: number; msg: string; component: string; error?: string }[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

describe('kafkajsLogCreator', () => {
  it('logs the transactional producer\'s retried CONCURRENT_TRANSACTIONS at debug, every other kafkajs error as an error', () => {
    const { lines, logger } = captured();
    const kafkajs = createLogger({ level: logLevel.INFO, logCreator: kafkajsLogCreator(logger) }).namespace('Connection');
    kafkajs.error('Response AddPartitionsToTxn(key: 24, version: 1)', { error: createErrorFromCode(51).message, correlationId: 7, size: 20 });
    // the producer's retry line (the shape the tracer wrote at every retry in the integration runs)
    const producer = createLogger({ level: logLevel.INFO, logCreator: kafkajsLogCreator(logger) }).namespace('Producer');
    producer.error(`Failed to send messages: ${createErrorFromCode(51).message}`, { retryCount: 0, retryTime: 21 });
    producer.error(createErrorFromCode(51).message, { retryCount: 1, retryTime: 40 });
    producer.error(`Failed to send messages: ${createErrorFromCode(14).message}`, { retryCount: 0, retryTime: 21 });
    kafkajs.error('Response InitProducerId(key: 22, version: 1)', { error: createErrorFromCode(14).message, correlationId: 5, size: 20 }); // COORDINATOR_LOAD_IN_PROGRESS
    kafkajs.error('Response Produce(key: 0, version: 7)', { error: createErrorFromCode(87).message }); // INVALID_RECORD
    kafkajs.warn('Connection timeout', { broker: '127.0.0.1:9092' });
    kafkajs.info('Consumer has joined the group');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [20, 'Response AddPartitionsToTxn(key: 24, version: 1)'],
      [20, `Failed to send messages: ${createErrorFromCode(51).message}`],
      [20, createErrorFromCode(51).message],
      [50, `Failed to send messages: ${createErrorFromCode(14).message}`],
      [50, 'Response InitProducerId(key: 22, version: 1)'],
      [50, 'Response Produce(key: 0, version: 7)'],
      [40, 'Connection timeout'],
      [30, 'Consumer has joined the group'],
    ]);
    expect(lines[0]).toMatchObject({ component: 'kafkajs', error: expect.stringMatching(/another concurrent operation on the same transaction/) });
  });
});
