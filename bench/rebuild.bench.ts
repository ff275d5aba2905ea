// Window rebuild from Kafka (what runs when Redis lost its state): N normalised session
// events on K window keys are produced to sessions.norm the way ingest writes them, the
// windows are deleted, and rebuildWindows() replays the topic into Redis. Prints the rate.
// Usage: node bench/rebuild.bench.ts [events=300000] [keys=5000]   (KAFKA_BROKERS, REDIS_URL)
import { Redis } from 'ioredis';
import { createKafka, ensureTopics } from '../services/common/kafka.ts';
import { createLogger } from '../services/common/logger.ts';
import { STATE_MARKER, rebuildWindows } from '../services/join/state-rebuild.ts';
import { TOPICS } from '../services/common/topics.ts';
import { createWindowStore } from '../services/join/window-store.ts';
import { fmt, mem, result } from './lib.ts';

const n = Number(process.argv[2] ?? 300_000);
const keyCount = Number(process.argv[3] ?? 5_000);
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-rebuild', logger: createLogger('bench', 'error') });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:16379');
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, [{ topic: TOPICS.sessionsNorm, numPartitions: 6 }, { topic: TOPICS.flowsNorm, numPartitions: 6 }]);
const run = Date.now().toString(36);
const now = Date.now();
const keys = Array.from({ length: keyCount }, (_, i) => `rbb-${run}|10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
const producer = kafka.producer();
await producer.connect();
const value = Buffer.alloc(120, 7);
value[0] = 0;
const t0 = Date.now();
for (let i = 0; i < n; i += 5_000) {
  await producer.send({ topic: TOPICS.sessionsNorm, messages: Array.from({ length: Math.min(5_000, n - i) }, (_, j) => ({
    key: keys[(i + j) % keyCount]!, value, headers: { 'ct-uid': `rbb-${run}/${i + j}`, 'ct-time': String(now - 600_000 + ((i + j) % 600_000)), 'ct-origin-ts': String(now) },
  })) });
}
await producer.disconnect();
console.log(`produced ${fmt(n)} events on ${keyCount} keys in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
await redis.del(STATE_MARKER);
for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500).flatMap((k) => [`ct:sev:{${k}}`, `ct:set:{${k}}`]));
const store = createWindowStore(redis, { retentionMs: 86_400_000 });
const done = await rebuildWindows({
  kafka, admin, redis, store, retentionMs: 86_400_000,
  onProgress: (p) => console.log(`rebuild: ${fmt(p.events)} events, ${fmt(p.perSecond)}/s, ${(p.ms / 1000).toFixed(1)} s`),
});
console.log(`rebuild: ${done.events} events (all in the topic within the retention, this run's ${n} included) in ${(done.ms / 1000).toFixed(1)} s = ${fmt(done.perSecond)} events/s; ${mem()}`);
result('window rebuild from Kafka', { events: done.events, seconds: done.ms / 1000, eventsPerSecond: done.perSecond });
await admin.disconnect();
redis.disconnect();
