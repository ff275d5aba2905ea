// The broker is a real Kafka 4 KRaft node: it answers ApiVersions v3 on the wire with the APIs
// and features a real broker has, and the admin API sees one cluster with a controller.
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { resolveKafkaSecurity } from '../../services/common/kafka-security.ts';
import { describe, expect, it } from 'vitest';
import { decodeApiVersionsResponse, encodeApiVersionsRequest, type ApiVersionsResponse } from '../support/api-versions.ts';
import { stackEndpoints, testKafka } from '../support/stack.ts';

const API = { Produce: 0, Fetch: 1, Metadata: 3, ApiVersions: 18, CreateTopics: 19, DescribeCluster: 60, ConsumerGroupHeartbeat: 68 };

describe('broker', () => {
  it('answers ApiVersions v3 with the APIs and KRaft features of a Kafka 4 broker', async () => {
    const [broker = ''] = stackEndpoints().kafkaBrokers;
    // ApiVersions is answered before authentication, but on a SASL_SSL listener only over TLS
    const { caPem } = resolveKafkaSecurity({ KAFKA_CLIENT_PROPERTIES: stackEndpoints().kafkaClientProperties ?? '' });
    const res = await requestApiVersions(broker, caPem);
    expect(res.errorCode).toBe(0);
    const keys = new Map(res.apis.map((a) => [a.apiKey, a]));
    for (const [name, key] of Object.entries(API)) {
      expect(keys.has(key), `${name}(${key}) in ApiVersions`).toBe(true);
    }
    expect(keys.get(API.ApiVersions)?.maxVersion).toBeGreaterThanOrEqual(3);
    // metadata.version is how a KRaft cluster states its version; level 22 = 4.0-IV0.
    const metadata = res.finalizedFeatures.get('metadata.version');
    expect(metadata, 'finalized metadata.version (a KRaft cluster)').toBeDefined();
    expect(metadata?.[1]).toBeGreaterThanOrEqual(22);
    console.log(
      `broker ${broker}: ${res.apis.length} APIs, metadata.version level ${metadata?.[1]}, ` +
        `finalized features ${[...res.finalizedFeatures].map(([name, [, max]]) => `${name}=${max}`).sort().join(' ')}`,
    );
  });

  it('describes one cluster with an active controller through the admin API', async () => {
    const admin = testKafka('smoke-describe').admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.clusterId).toMatch(/\S/);
      expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
      expect(cluster.controller).not.toBeNull();
    } finally {
      await admin.disconnect();
    }
  });
});

function requestApiVersions(address: string, caPem: string | undefined, timeoutMs = 10_000): Promise<ApiVersionsResponse> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const target = { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
    const socket = caPem ? tlsConnect({ ...target, ca: [caPem] }) : connect(target);
    let buffered = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no ApiVersions answer from ${address} in ${timeoutMs} ms`)));
    socket.on('error', reject);
    socket.on(caPem ? 'secureConnect' : 'connect', () => socket.write(encodeApiVersionsRequest(7, 'crosstrace-smoke')));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4 || buffered.length < 4 + buffered.readInt32BE(0)) return;
      socket.end();
      try {
        const { correlationId, response } = decodeApiVersionsResponse(buffered.subarray(4, 4 + buffered.readInt32BE(0)));
        if (correlationId !== 7) throw new Error(`correlation id ${correlationId}, sent 7`);
        resolve(response);
      } catch (err) {
        reject(err);
      }
    });
  });
}
