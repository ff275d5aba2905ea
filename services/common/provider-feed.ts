// Live provider-registry updates: every instance reads the compacted topic registry.providers
// from the beginning (its own throwaway group) and applies each record to its directory; a
// tombstone (null value) removes the provider. The seed file gives the directory its start.
import type { Kafka } from 'kafkajs';
import type { Provider } from '../../schemas/types.gen.ts';
import type { Logger } from './logger.ts';
import type { RegistryClient } from './registry.ts';
import { TOPICS } from './topics.ts';

export interface MutableDirectory { upsert(p: Provider): void; remove(providerId: string): void }

export async function followProviderFeed(o: { kafka: Kafka; registry: RegistryClient; directory: MutableDirectory; logger: Logger; service: string }) {
  const consumer = o.kafka.consumer({ groupId: `crosstrace-${o.service}-providers-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.providers, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      const id = message.key?.toString('utf8') ?? '';
      try {
        if (!message.value) { o.directory.remove(id); o.logger.info({ providerId: id }, 'provider removed'); return; }
        const p = await o.registry.decode<Provider>(TOPICS.providers, message.value);
        o.directory.upsert(p);
        o.logger.info({ providerId: p.providerId, prefixes: p.prefixes.length }, 'provider updated');
      } catch (e) {
        o.logger.error({ err: e, providerId: id, offset: message.offset }, 'provider update rejected; directory unchanged');
      }
    },
  });
  return { stop: () => consumer.disconnect() };
}
