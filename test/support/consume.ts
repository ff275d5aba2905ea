// Reads a known number of records from a topic with a fresh consumer group, for tests that
// produced them: resolves with them in arrival order, rejects after `timeoutMs`.
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface Consumed {
  partition: number;
  message: KafkaMessage;
}

export async function consumeMessages(kafka: Kafka, topic: string, count: number, timeoutMs = 60_000): Promise<Consumed[]> {
  const got: Consumed[] = [];
  const consumer = kafka.consumer({ groupId: `${topic}.reader.${Date.now().toString(36)}` });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`received ${got.length} of ${count} records from ${topic} in ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            got.push({ partition, message });
            if (got.length >= count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return got;
}
