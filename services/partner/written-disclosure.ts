// A Disclosure (audit record) as written. Its hash is SHA-256(prevHash || the record's Avro
// encoding with hash and signature empty) under the schema the node WROTE it with; a reader
// whose Disclosure schema differs gets the record resolved to its own schema (registry.decode),
// and re-encoding that gives other bytes (one field added with a default makes every record
// look altered). So the bytes the hash covers are taken from the value as written: its Avro
// body (the Confluent frame stripped), walked field by field with the writer's schema, hash
// and signature replaced by empty bytes, everything else copied as it is (nothing re-encoded:
// exactly the bytes the node hashed, whatever writer made them).
import type avro from 'avsc';
import type { Disclosure } from '../../schemas/types.gen.ts';
import type { RegistryClient } from '../common/registry.ts';
import { unframe } from '../common/wire-format.ts';

const EMPTY_BYTES = Buffer.of(0); // Avro bytes of length 0: the zig-zag varint 0

/** The bytes a Disclosure's hash covers (after prevHash), from its Avro `body` under `writer`. */
export function hashedBytes(writer: avro.Type, body: Buffer): Buffer {
  const fields = (writer as avro.types.RecordType).fields;
  if (!fields?.some((f) => f.name === 'hash')) throw new Error(`writer schema ${writer.name ?? '?'} is not a Disclosure (no hash field)`);
  const parts: Buffer[] = [];
  let pos = 0;
  for (const f of fields) {
    const { offset } = f.type.decode(body, pos);
    if (offset < 0 || offset > body.length) throw new Error(`Disclosure body ends early, in field ${f.name} (${body.length} bytes)`);
    parts.push(f.name === 'hash' || f.name === 'signature' ? EMPTY_BYTES : body.subarray(pos, offset));
    pos = offset;
  }
  if (pos !== body.length) throw new Error(`Disclosure body has ${body.length - pos} bytes after its last field`);
  return Buffer.concat(parts);
}

/** A Disclosure read from `topic`: the record (in this reader's schema) and the bytes its hash covers, as written. */
export async function readDisclosure(registry: RegistryClient, topic: string, value: Buffer | null): Promise<{ record: Disclosure; written: Buffer }> {
  const record = await registry.decode<Disclosure>(topic, value);
  return { record, written: hashedBytes(await registry.writerTypeOf(value), unframe(value).body) };
}
