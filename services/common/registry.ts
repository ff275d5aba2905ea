// Schema registry adapter: registers the catalog's schemas under TopicNameStrategy subjects
// (`<topic>-value`, BACKWARD compatibility), and turns records into Confluent-framed bytes
// and back. Decoding classifies every failure: bad input is a permanent error with a stable
// code (dead-lettered by the caller), an unreachable registry is retriable.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { loadSchemas, recordForTopic } from '../../schemas/catalog.ts';
import { CrosstraceError, dependencyDown, permanent } from './errors.ts';
import { frame, unframe } from './wire-format.ts';

const NS = 'org.crosstrace.v1.';

interface Writer { type: avro.Type; name: string }

export interface RegistryClient {
  /** Registers each topic's schema (idempotent) and sets BACKWARD compatibility on its subject. */
  ensureSubjects(topics: string[]): Promise<void>;
  /** Encodes a record for a topic whose subject was ensured. */
  encode(topic: string, record: unknown): Buffer;
  /** Decodes a framed value read from `topic` into that topic's record (schema evolution resolved). */
  decode<T>(topic: string, value: Buffer | null): Promise<T>;
  /** Avro type of a record name, e.g. 'TraceUpdate' (for signatures over canonical bytes). */
  typeOf(recordName: string): avro.Type;
  /** Asks the registry whether `schema` is compatible with the latest version of `subject`. */
  isCompatible(subject: string, schema: unknown): Promise<boolean>;
  readonly url: string;
}

export function createRegistryClient(opts: { url: string }): RegistryClient {
  const url = opts.url.replace(/\/+$/, '');
  const client = new SchemaRegistry({ host: url, retry: { retries: 2 } });
  const schemas = loadSchemas();
  const types = new Map<string, avro.Type>();
  const ids = new Map<string, number>(); // topic -> schema id
  const writers = new Map<number, Promise<Writer>>();
  const resolvers = new Map<string, avro.Resolver | null>();

  function typeOf(name: string): avro.Type {
    let t = types.get(name);
    if (!t) {
      const s = schemas.get(name);
      if (!s) throw new Error(`no schema named ${name} in schemas/*.avsc`);
      t = avro.Type.forSchema(s as avro.Schema);
      types.set(name, t);
    }
    return t;
  }

  function recordOf(topic: string): string {
    const r = recordForTopic(topic);
    if (!r) throw new Error(`topic ${topic} carries no record of the catalog (schemas/catalog.ts TOPIC_RECORDS)`);
    return r;
  }

  async function http(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw dependencyDown(`schema registry at ${url} did not answer ${method} ${path}`, e);
    }
  }

  function writerFor(id: number): Promise<Writer> {
    let w = writers.get(id);
    if (!w) {
      w = client.getSchema(id).then(
        (t) => ({ type: t as unknown as avro.Type, name: String((t as unknown as avro.Type).name) }),
        (e: unknown) => {
          writers.delete(id);
          const status = (e as { status?: number }).status;
          if (status === 404) throw permanent('CT_UNKNOWN_SCHEMA', `schema id ${id} is not known to the registry`, { cause: e });
          throw dependencyDown(`schema registry could not resolve schema id ${id}`, e);
        },
      );
      writers.set(id, w);
    }
    return w;
  }

  return {
    url,
    typeOf,
    async ensureSubjects(topics) {
      for (const topic of topics) {
        const name = recordOf(topic);
        const subject = `${topic}-value`;
        let id: number;
        for (let attempt = 1; ; attempt++) {
          try {
            ({ id } = await client.register({ type: 'AVRO', schema: JSON.stringify(schemas.get(name)) } as never, { subject }));
            break;
          } catch (e) {
            if (e instanceof CrosstraceError) throw e;
            const status = (e as { status?: number }).status;
            // 409: another service created the subject at the same moment; registering again returns its id
            if (status === 409 && attempt < 5) { await new Promise((r) => setTimeout(r, 100 * attempt)); continue; }
            if (status && status < 500) throw permanent('CT_CONFIG', `registry refused schema ${name} for ${subject}: ${(e as Error).message}`, { cause: e });
            throw dependencyDown(`schema registry could not register ${subject}`, e);
          }
        }
        ids.set(topic, id);
        const res = await http('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: 'BACKWARD' });
        if (!res.ok) throw dependencyDown(`setting BACKWARD on ${subject} failed: HTTP ${res.status}`, await res.text());
      }
    },
    encode(topic, record) {
      const id = ids.get(topic);
      if (id === undefined) throw new Error(`encode: subject for ${topic} not ensured; call ensureSubjects first`);
      return frame(id, typeOf(recordOf(topic)).toBuffer(record));
    },
    async decode<T>(topic: string, value: Buffer | null): Promise<T> {
      const { schemaId, body } = unframe(value);
      const writer = await writerFor(schemaId);
      const readerName = recordOf(topic);
      if (writer.name !== NS + readerName) {
        throw permanent('CT_WRONG_SCHEMA', `schema id ${schemaId} is ${writer.name}, but ${topic} carries ${NS}${readerName}`);
      }
      const reader = typeOf(readerName);
      const key = `${schemaId}`;
      let resolver = resolvers.get(key);
      if (resolver === undefined) {
        resolver = reader.equals(writer.type) ? null : reader.createResolver(writer.type);
        resolvers.set(key, resolver);
      }
      try {
        return (resolver ? reader.fromBuffer(body, resolver, false) : reader.fromBuffer(body)) as T;
      } catch (e) {
        const msg = (e as Error).message;
        if (/truncated/i.test(msg)) throw permanent('CT_TRUNCATED', `Avro body ends early (${body.length} bytes): ${msg}`, { cause: e });
        throw permanent('CT_MALFORMED_AVRO', `Avro body does not decode as ${readerName}: ${msg}`, { cause: e });
      }
    },
    async isCompatible(subject, schema) {
      const res = await http('POST', `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`, { schema: JSON.stringify(schema) });
      if (res.status === 404) return true; // no version yet: anything is compatible
      if (!res.ok) throw dependencyDown(`compatibility check for ${subject} failed: HTTP ${res.status} ${await res.text()}`, null);
      const body = (await res.json()) as { is_compatible?: boolean };
      return body.is_compatible === true;
    },
  };
}
