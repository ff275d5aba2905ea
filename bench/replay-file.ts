// What a stage wrote for a backlog, kept in a file so bench/passthrough.ts can write the same
// records (keys, values, headers: the same sizes and count) in answer to the same input: the
// ceiling then differs from the stage only by the stage's own work, not by what it produces.
// One JSON object: per input topic, the output topic and an even sample of its records (at most
// `sample`, default 4096: the same mix of keys, partitions and sizes; the passthrough cycles
// through them: holding all 200k records in the passthrough's heap made its every major GC
// dearer, 22 vs 13.6 µs/event), values base64.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import type { OutTopicMessages } from '../services/common/kafka.ts';

type Offsets = Map<string, { partition: number; offset: string }[]>;
export type Replay = Map<string, OutTopicMessages>;
interface Stored { topic: string; messages: { k: string | null; v: string | null; h: Record<string, string> }[] }

/** Reads every record of `outputs` (output topic -> the input topic it answers) between `from`
 *  and `to` (per partition, `to` exclusive) and writes a sample of them to `file`; returns how
 *  many it read. */
export async function writeReplayFile(kafka: Kafka, outputs: Record<string, string>, from: Offsets, to: Offsets, file: string, sample = 4096): Promise<number> {
  const stored: Record<string, Stored> = {};
  const byPartition = new Map<string, Stored['messages']>();
  let want = 0;
  for (const [topic, parts] of to) {
    stored[outputs[topic]!] = { topic, messages: [] };
    for (const p of parts) {
      want += Number(p.offset) - Number(from.get(topic)!.find((q) => q.partition === p.partition)!.offset);
      byPartition.set(`${topic}/${p.partition}`, []);
    }
  }
  const groupId = `bench-replay-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  for (const [topic, partitions] of from) await admin.setOffsets({ groupId, topic, partitions });
  await admin.disconnect();
  const end = (topic: string, partition: number) => Number(to.get(topic)!.find((p) => p.partition === partition)!.offset);
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let got = 0;
  let lastRecordAt = Date.now();
  let idle: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    // the offsets count transaction markers too, and a log may have been truncated: what has
    // not come after 30 s without a record is not coming (the sample is taken from what came)
    idle = setInterval(() => {
      if (Date.now() - lastRecordAt < 30_000) return;
      process.stderr.write(`replay-file: ${got} of ${want} records by offset read, none for 30 s: sampling those\n`);
      if (got > 0) resolve(); else reject(new Error(`replay-file: no record of ${[...to.keys()].join(', ')} within 30 s`));
    }, 1000);
    void (async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [...to.keys()], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const list = byPartition.get(`${batch.topic}/${batch.partition}`)!;
          const last = end(batch.topic, batch.partition);
          for (const m of batch.messages) {
            if (Number(m.offset) >= last) continue;
            const h: Record<string, string> = {};
            for (const [k, v] of Object.entries(m.headers ?? {})) h[k] = String(v);
            list.push({ k: m.key ? m.key.toString('utf8') : null, v: m.value ? m.value.toString('base64') : null, h });
            lastRecordAt = Date.now();
            if (++got === want) resolve();
          }
        },
      });
      if (want === 0) resolve();
    })().catch(reject);
  }).finally(() => clearInterval(idle));
  await consumer.disconnect();
  for (const [key, list] of byPartition) stored[outputs[key.slice(0, key.lastIndexOf('/'))]!]!.messages.push(...list);
  for (const s of Object.values(stored)) {
    const all = s.messages;
    if (all.length > sample) s.messages = Array.from({ length: sample }, (_, i) => all[Math.floor((i * all.length) / sample)]!);
  }
  writeFileSync(file, JSON.stringify(stored));
  return got;
}

export function readReplayFile(file: string): Replay {
  const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Stored>;
  return new Map(Object.entries(stored).map(([input, s]) => [input, {
    topic: s.topic, messages: s.messages.map((m) => ({ key: m.k, value: m.v === null ? null : Buffer.from(m.v, 'base64'), headers: m.h })),
  }]));
}
