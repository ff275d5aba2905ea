// Schema registry adapter: registers the catalog's schemas under TopicNameStrategy subjects
// (`<topic>-value`, BACKWARD compatibility), and turns records into Confluent-framed bytes
// and back. Decoding classifies every failure: bad input is a permanent error with a stable
// code (dead-lettered by the caller), an unreachable registry is retriable.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import './avsc-patch.ts'; // short ASCII strings written without Buffer.byteLength (same bytes)
import { loadSchemas, recordForTopic } from '../../schemas/catalog.ts';
import { CrosstraceError, dependencyDown, permanent } from './errors.ts';
import { frameWith, unframe, type BodyWriter } from './wire-format.ts';

const NS = 'org.crosstrace.v1.';
/** Attempts of one registry write before start-up fails (backoff 100 ms doubling, with jitter). */
const REGISTRY_ATTEMPTS = 8;

type Attempt<T> = { done: true; value: T } | { done: false; why: string };

/** Runs `step` until it is done, REGISTRY_ATTEMPTS times at most; a thrown permanent error
 *  stops at once, a retriable one (registry unreachable) is retried like a not-done step. */
async function withRetry<T>(what: string, step: () => Promise<Attempt<T>>): Promise<T> {
  let last = '';
  for (let attempt = 1; attempt <= REGISTRY_ATTEMPTS; attempt++) {
    try {
      const r = await step();
      if (r.done) return r.value;
      last = r.why;
    } catch (e) {
      if (!(e instanceof CrosstraceError) || !e.retriable) throw e;
      last = e.message;
    }
    if (attempt < REGISTRY_ATTEMPTS) await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1) * (0.5 + Math.random())));
  }
  throw dependencyDown(`schema registry: ${what} did not succeed after ${REGISTRY_ATTEMPTS} attempts (last: ${last})`, null);
}

interface Writer { type: avro.Type; name: string }

export interface RegistryClient {
  /** Registers each topic's schema (idempotent) and sets BACKWARD compatibility on its subject. */
  ensureSubjects(topics: string[]): Promise<void>;
  /** Schema id a topic's records are encoded with (its subject must have been ensured). */
  schemaIdOf(topic: string): number;
  /** Encodes a record for a topic whose subject was ensured. */
  encode(topic: string, record: unknown): Buffer;
  /** Decodes a framed value read from `topic` into that topic's record (schema evolution resolved). */
  decode<T>(topic: string, value: Buffer | null): Promise<T>;
  /** decode() without a wait when the value's writer schema is fetched already (every record
   *  after the first of its schema id): the record, or undefined when decode() has to fetch it.
   *  Throws what decode() rejects with. */
  decodeKnown<T>(topic: string, value: Buffer | null): T | undefined;
  /** The writer's Avro type of a framed value (the schema its id names), as written: no resolution. */
  writerTypeOf(value: Buffer | null): Promise<avro.Type>;
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
  const known = new Map<number, Writer>(); // the writers fetched, for decodeKnown
  const resolvers = new Map<number, avro.Resolver | null>(); // writer schema id -> resolver to its topic's record
  const records = new Map<string, string>(); // topic -> record name (recordForTopic tests regexes)

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
    let r = records.get(topic);
    if (r === undefined) {
      r = recordForTopic(topic);
      if (!r) throw new Error(`topic ${topic} carries no record of the catalog (schemas/catalog.ts TOPIC_RECORDS)`);
      records.set(topic, r);
    }
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
        (t) => {
          const writer = { type: t as unknown as avro.Type, name: String((t as unknown as avro.Type).name) };
          known.set(id, writer);
          return writer;
        },
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

  /** A framed value's body, written with `writer` (schema id `schemaId`), as `topic`'s record. */
  function read<T>(topic: string, schemaId: number, writer: Writer, body: Buffer): T {
    const readerName = recordOf(topic);
    if (writer.name !== NS + readerName) {
      throw permanent('CT_WRONG_SCHEMA', `schema id ${schemaId} is ${writer.name}, but ${topic} carries ${NS}${readerName}`);
    }
    const reader = typeOf(readerName);
    let resolver = resolvers.get(schemaId);
    if (resolver === undefined) {
      resolver = reader.equals(writer.type) ? null : reader.createResolver(writer.type);
      resolvers.set(schemaId, resolver);
    }
    try {
      return (resolver ? reader.fromBuffer(body, resolver, false) : reader.fromBuffer(body)) as T;
    } catch (e) {
      const msg = (e as Error).message;
      if (/truncated/i.test(msg)) throw permanent('CT_TRUNCATED', `Avro body ends early (${body.length} bytes): ${msg}`, { cause: e });
      throw permanent('CT_MALFORMED_AVRO', `Avro body does not decode as ${readerName}: ${msg}`, { cause: e });
    }
  }

  /** Registers `schema` under `subject` and returns its id, idempotently under concurrency:
   *  when another service registered it first (Apicurio answers 409 "already exists", or a
   *  5xx while the artifact is half-created), the id is looked up by schema. A refusal that is
   *  not such a race (incompatible schema, invalid schema) is a permanent CT_CONFIG error. */
  async function registerOnce(subject: string, schema: string): Promise<number> {
    const path = `/subjects/${encodeURIComponent(subject)}`;
    return withRetry(`registering ${subject}`, async () => {
      const res = await http('POST', `${path}/versions`, { schema });
      if (res.ok) return { done: true, value: ((await res.json()) as { id: number }).id };
      const text = await res.text();
      const race = res.status === 409 || res.status >= 500 || /already exists/i.test(text);
      if (!race) throw permanent('CT_CONFIG', `registry refused the schema for ${subject}: HTTP ${res.status} ${text}`);
      const look = await http('POST', path, { schema }); // the schema's id under the subject, if it is there
      if (look.ok) return { done: true, value: ((await look.json()) as { id: number }).id };
      const lookText = await look.text();
      if (res.status === 409 && !/already exists/i.test(text) && look.status === 404) {
        throw permanent('CT_CONFIG', `registry refused the schema for ${subject} (not compatible with its latest version?): HTTP 409 ${text}`);
      }
      return { done: false, why: `HTTP ${res.status} ${text}; lookup HTTP ${look.status} ${lookText}` };
    });
  }

  return {
    url,
    typeOf,
    async ensureSubjects(topics) {
      for (const topic of topics) {
        const subject = `${topic}-value`;
        ids.set(topic, await registerOnce(subject, JSON.stringify(schemas.get(recordOf(topic)))));
        await withRetry(`setting BACKWARD on ${subject}`, async () => {
          const res = await http('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: 'BACKWARD' });
          return res.ok ? { done: true, value: undefined } : { done: false, why: `HTTP ${res.status} ${await res.text()}` };
        });
      }
    },
    schemaIdOf(topic) {
      const id = ids.get(topic);
      if (id === undefined) throw new Error(`schemaIdOf: subject for ${topic} not ensured; call ensureSubjects first`);
      return id;
    },
    encode(topic, record) {
      const id = ids.get(topic);
      if (id === undefined) throw new Error(`encode: subject for ${topic} not ensured; call ensureSubjects first`);
      return frameWith(id, typeOf(recordOf(topic)) as BodyWriter<unknown>, record);
    },
    async decode<T>(topic: string, value: Buffer | null): Promise<T> {
      const { schemaId, body } = unframe(value);
      return read<T>(topic, schemaId, known.get(schemaId) ?? await writerFor(schemaId), body);
    },
    decodeKnown<T>(topic: string, value: Buffer | null): T | undefined {
      const { schemaId, body } = unframe(value);
      const writer = known.get(schemaId);
      return writer === undefined ? undefined : read<T>(topic, schemaId, writer, body);
    },
    async writerTypeOf(value) {
      return (await writerFor(unframe(value).schemaId)).type;
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
