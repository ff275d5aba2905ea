// A console re-checks what the gateway marks verified: the served JSON carries the bytes the
// signature is over (signedBytes, base64: magic byte + schema id + Avro), the signature and
// the key id, and the OpenAPI text says so (security review finding 6).
import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPEN_LIMITS } from '../partner/domain/open-request.ts';
import { fullUpdate, makeNode } from '../partner/test-fixtures.ts';
import { sharedSchemas } from './api-schemas.ts';
import { updateJson } from './render-update.ts';

describe('gateway VerifiedUpdate', () => {
  it('carries signedBytes, signature and key id: a console verifies the signature itself', () => {
    const node = makeNode();
    const { signed } = node.publish(fullUpdate(), 'FR');
    const j = updateJson(signed) as unknown as Record<string, string>;
    const bytes = Buffer.from(j.signedBytes!, 'base64');
    expect(bytes.equals(signed.signedBytes)).toBe(true);
    expect(bytes[0]).toBe(0); // Confluent framing: magic byte, then the 4-byte schema id
    expect(j.signerKeyId).toBe(signed.signerKeyId);
    expect(verify(null, bytes, createPublicKey(node.privateKey), Buffer.from(j.signature!, 'base64'))).toBe(true);
    const tampered = Buffer.from(bytes);
    tampered[tampered.length - 1]! ^= 1;
    expect(verify(null, tampered, createPublicKey(node.privateKey), Buffer.from(j.signature!, 'base64'))).toBe(false);
  });

  it('the OpenAPI description names the signed bytes, not a re-encoding of `update`', () => {
    const schema = sharedSchemas(DEFAULT_OPEN_LIMITS).find((s) => s.$id === 'VerifiedUpdate') as { required: string[]; properties: Record<string, { description?: string }> };
    expect(schema.required).toContain('signedBytes');
    expect(schema.properties.signature!.description).toMatch(/signedBytes/);
    expect(schema.properties.signature!.description).not.toMatch(/Avro encoding of `update`/);
    expect(schema.properties.signedBytes!.description).toMatch(/magic byte/);
  });
});
