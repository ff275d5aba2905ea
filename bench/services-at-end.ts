// Before `make bench` starts the services: their consumer groups are committed at the current
// end of their input topics (services/common/group-start.ts commitAtEnd), so the running
// services read what the end-to-end steps produce and not the millions of records the
// throughput steps left on the same topics (those were each step's own backlog). Without it
// the services first drained ~2M records: the end-to-end steps waited minutes for them, and
// the RSS measured "at the bench rate" was the peak of that drain (bench/drain-memory.ts
// measures a drain's peak on purpose, stage by stage). Needs the stack env; the services down.
//   node bench/services-at-end.ts
import { resolveKafkaSecurity } from '../services/common/kafka-security.ts';
import { createKafka, ensureTopics } from '../services/common/kafka.ts';
import { commitAtEnd } from '../services/common/group-start.ts';
import { createLogger } from '../services/common/logger.ts';
import { SERVICE_INPUTS, pipelineTopics } from '../services/common/topics.ts';

/** The groups deploy/local/services.sh's services consume in (their default group ids). */
const GROUPS: [groupId: string, topics: readonly string[]][] = (['INGEST', 'CORRELATOR', 'ARCHIVE', 'TRACER'] as const)
  .map((svc) => [`crosstrace-${svc.toLowerCase()}`, SERVICE_INPUTS[svc]]);

const logger = createLogger('bench', 'error');
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'bench-services-at-end', logger, security: resolveKafkaSecurity(process.env) });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, pipelineTopics(Number(process.env.CROSSTRACE_INGEST_PARTITIONS ?? 6), []));
for (const [groupId, topics] of GROUPS) {
  const at = await commitAtEnd(admin, groupId, topics, { kafka });
  const total = [...at.values()].reduce((a, o) => a + Number(o), 0);
  console.log(`${groupId}: starts at the end of ${topics.join(', ')} (end offsets summed: ${total})`);
}
await admin.disconnect();
