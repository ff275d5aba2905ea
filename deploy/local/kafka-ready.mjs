// Readiness probe for the local Kafka: exits 0 when a kafkajs admin connects to BROKERS,
// describes the cluster and lists topics, 1 otherwise (reason on stderr), 2 when kafkajs
// is not installed. One attempt, bounded by TIMEOUT_MS; stack.sh polls it.
// On success it prints one line: cluster id, broker count, controller id.
// Usage: node kafka-ready.mjs BROKERS [TIMEOUT_MS] [CLIENT_PROPERTIES]
// CLIENT_PROPERTIES: a librdkafka-style file (SASL_SSL user, password, CA), read by
// services/common/kafka-security.ts like every other client of the project.
import console from 'node:console';
import process from 'node:process';
import { setTimeout, clearTimeout } from 'node:timers';

const [brokers = '127.0.0.1:19092', timeoutArg = '5000', properties = ''] = process.argv.slice(2);
const timeoutMs = Number(timeoutArg);

let kafkajs;
try {
  kafkajs = await import('kafkajs');
} catch (err) {
  console.error(`kafkajs is not installed (${err.code ?? err.message}); run make deps`);
  process.exit(2);
}
const { Kafka, logLevel } = kafkajs.default ?? kafkajs;
const { resolveKafkaSecurity, kafkajsSecurity } = await import('../../services/common/kafka-security.ts');
let security;
try {
  security = kafkajsSecurity(resolveKafkaSecurity({ KAFKA_CLIENT_PROPERTIES: properties }));
} catch (err) {
  console.error(err.message);
  process.exit(1);
}

const kafka = new Kafka({
  clientId: 'crosstrace-stack-probe',
  brokers: brokers.split(','),
  ...security,
  logLevel: logLevel.NOTHING,
  connectionTimeout: Math.min(2000, timeoutMs),
  requestTimeout: timeoutMs,
  retry: { retries: 0 },
});
const admin = kafka.admin();
const timer = setTimeout(() => {
  console.error(`no answer from ${brokers} within ${timeoutMs} ms`);
  process.exit(1);
}, timeoutMs);

try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (cluster.controller == null || cluster.controller < 0) throw new Error('no active controller yet');
  await admin.listTopics();
  console.log(`cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), controller ${cluster.controller}`);
  process.exitCode = 0;
} catch (err) {
  console.error(`${brokers}: ${err.message}`);
  process.exitCode = 1;
} finally {
  clearTimeout(timer);
  await admin.disconnect().catch(() => {});
}
