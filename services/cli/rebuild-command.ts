// `crosstrace rebuild`: rebuilds what Redis lost from Kafka (state-rebuild.ts) — the windows
// from flows.norm / sessions.norm since the retention horizon — printing progress and rate,
// and says where each audience's audit chain continues (read from its audit.disclosures.<CC>,
// nothing to rebuild: the tracer continues each chain from what Kafka committed).
// An operator command: it needs REDIS_URL as well as the Kafka and registry addresses.
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { commonSpec, defineConfig } from '../common/config.ts';
import { kafkaSecuritySpec } from '../common/kafka-security.ts';
import { createRegistryClient } from '../common/registry.ts';
import { auditTopic } from '../common/topics.ts';
import { auditAudiences, auditHeadLines } from './domain/audit-heads.ts';
import { createFlowMarks } from '../join/flow-marks.ts';
import { STATE_MARKER, rebuildWindows, type RebuildProgress } from '../join/state-rebuild.ts';
import { createWindowStore } from '../join/window-store.ts';
import { readAuditHead } from '../tracer/audit-head.ts';
import { cliKafka } from './env.ts';

export const REBUILD_USAGE = `crosstrace rebuild [--retention-ms MS] [--session-retention-ms MS]
  Rebuilds the Redis windows from flows.norm (from MS before now; default 86400000, the
  flow windows' retention) and sessions.norm (default 1209600000, the longest session age),
  marks Redis as built (${STATE_MARKER}: unmarked while it writes, so no window read decides
  anything meanwhile; a correlator with CROSSTRACE_CORRELATOR_REBUILD_EMPTY_REDIS=true finds
  them unmarked and takes the rebuild over, this command then exits saying so: run it with the
  correlators stopped, or leave the rebuild to them); prints progress and events/s. Needs REDIS_URL
  (default redis://127.0.0.1:16379). Restarted or running, the tracer rebuilds its chains.
  Then prints where each audience's audit chain continues (audit.disclosures.<CC>).`;

const rebuildConfig = defineConfig('CROSSTRACE_REBUILD_', {
  KAFKA_BROKERS: commonSpec.KAFKA_BROKERS, SCHEMA_REGISTRY_URL: commonSpec.SCHEMA_REGISTRY_URL, REDIS_URL: commonSpec.REDIS_URL,
  ...kafkaSecuritySpec,
});

const line = (p: RebuildProgress): string =>
  `rebuild: ${p.done ? 'done, ' : ''}${p.resumed ? 'resumed, ' : ''}${p.events} events indexed, ${p.skipped} skipped, ${p.remaining} records to read, ${(p.ms / 1000).toFixed(1)} s, ${p.perSecond} events/s`;

export async function rebuildCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseArgs({ args, options: { 'retention-ms': { type: 'string', default: '86400000' }, 'session-retention-ms': { type: 'string', default: '1209600000' } }, strict: true });
  const [retentionMs, sessionRetentionMs] = (['retention-ms', 'session-retention-ms'] as const).map((k) => {
    const v = Number(values[k]);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${k} must be a positive integer (got ${values[k]})`);
    return v;
  }) as [number, number];
  const cfg = rebuildConfig.parse(env);
  const { kafka } = cliKafka(cfg, env, 'crosstrace-rebuild');
  const admin = kafka.admin();
  const redis = new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: 2 });
  const registry = createRegistryClient({ url: cfg.SCHEMA_REGISTRY_URL });
  try {
    await admin.connect();
    const done = await rebuildWindows({
      kafka, admin, redis, flowMarks: { registry, marks: createFlowMarks(redis) }, store: createWindowStore(redis, { retentionMs, sessionRetentionMs }), retentionMs, sessionRetentionMs,
      onProgress: (p) => process.stdout.write(`${line(p)}\n`),
    });
    const audiences = auditAudiences(await admin.listTopics());
    const heads = await Promise.all(audiences.map(async (cc) => ({ cc, head: await readAuditHead({ kafka, admin, registry, topic: auditTopic(cc) }) })));
    for (const l of auditHeadLines(heads)) process.stdout.write(`${l}\n`);
    return done.done ? 0 : 1;
  } finally {
    redis.disconnect();
    await admin.disconnect().catch(() => undefined);
  }
}

