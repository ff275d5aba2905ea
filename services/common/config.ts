// Config is parsed once at start-up from the environment into a frozen, typed object. Every
// problem is reported by its key name; nothing is silently corrected. A service's own keys
// share the prefix CROSSTRACE_<SERVICE>_ and an unknown key with that prefix is rejected
// (a typo must not fall back to a default).
import { CrosstraceError } from './errors.ts';
import { kafkaSecuritySpec } from './kafka-security.ts';

import type { FieldSpec } from './field-spec.ts';
export type { FieldSpec } from './field-spec.ts';

type Spec = Record<string, FieldSpec<unknown>>;
export type ConfigOf<S extends Spec> = { readonly [K in keyof S]: S[K] extends FieldSpec<infer T> ? T : never };

export interface ConfigDefinition<S extends Spec> {
  spec: S;
  /** Prefix of this service's own keys; unknown keys with it are rejected. */
  ownPrefix: string;
  parse(env: Record<string, string | undefined>): ConfigOf<S>;
}

/** Thrown by parsers; the key name is added by `parse`. */
class ValueError extends Error {}

export function defineConfig<S extends Spec>(
  ownPrefix: string,
  spec: S,
  validate?: (cfg: ConfigOf<S>) => string[],
): ConfigDefinition<S> {
  return {
    spec,
    ownPrefix,
    parse(env) {
      const problems: string[] = [];
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(spec)) {
        const raw = env[key];
        if (raw === undefined || raw === '') {
          if (field.default === undefined) problems.push(`${key} is required: ${field.doc}`);
          else out[key] = field.default;
          continue;
        }
        try {
          out[key] = field.parse(raw.trim());
        } catch (e) {
          problems.push(`${key}=${JSON.stringify(raw)}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      for (const key of Object.keys(env)) {
        if (key.startsWith(ownPrefix) && !(key in spec)) {
          problems.push(`${key} is not a setting of this service (known: ${Object.keys(spec).filter((k) => k.startsWith(ownPrefix)).join(', ')})`);
        }
      }
      if (problems.length === 0 && validate) problems.push(...validate(out as ConfigOf<S>));
      if (problems.length > 0) {
        throw new CrosstraceError('CT_CONFIG', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
      }
      return Object.freeze(out) as ConfigOf<S>;
    },
  };
}

export const str = (doc: string, def?: string): FieldSpec<string> => ({ doc, default: def, parse: (r) => r });

export const int = (doc: string, def: number | undefined, min: number, max: number): FieldSpec<number> => ({
  doc,
  default: def,
  parse(r) {
    if (!/^-?\d+$/.test(r)) throw new ValueError('must be a whole number');
    const n = Number(r);
    if (n < min || n > max) throw new ValueError(`must be between ${min} and ${max}`);
    return n;
  },
});

export const bool = (doc: string, def: boolean): FieldSpec<boolean> => ({
  doc,
  default: def,
  parse(r) {
    if (r === 'true' || r === '1') return true;
    if (r === 'false' || r === '0') return false;
    throw new ValueError('must be true or false');
  },
});

export const list = (doc: string, def?: string[]): FieldSpec<string[]> => ({
  doc,
  default: def,
  parse(r) {
    const items = r.split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) throw new ValueError('must list at least one value, comma-separated');
    return items;
  },
});

export const url = (doc: string, protocols: string[], def?: string): FieldSpec<string> => ({
  doc,
  default: def,
  parse(r) {
    let u: URL;
    try { u = new URL(r); } catch { throw new ValueError('must be an absolute URL'); }
    if (!protocols.includes(u.protocol)) throw new ValueError(`must use ${protocols.join(' or ')}`);
    return r.replace(/\/+$/, '');
  },
});

export const oneOf = <T extends string>(doc: string, values: readonly T[], def: T): FieldSpec<T> => ({
  doc,
  default: def,
  parse(r) {
    if (!(values as readonly string[]).includes(r)) throw new ValueError(`must be one of ${values.join(', ')}`);
    return r as T;
  },
});

/** Settings every service shares: where the stack is, logging. */
export const commonSpec = {
  KAFKA_BROKERS: list('Kafka bootstrap brokers, host:port comma-separated.', ['127.0.0.1:19092']),
  SCHEMA_REGISTRY_URL: url('Confluent-compatible schema registry base URL (Apicurio: .../apis/ccompat/v7).', ['http:', 'https:'], 'http://127.0.0.1:18081/apis/ccompat/v7'),
  REDIS_URL: url('Redis URL for windows, dedupe and chain state.', ['redis:', 'rediss:'], 'redis://127.0.0.1:16379'),
  LOG_LEVEL: oneOf('pino log level.', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, 'info'),
  CROSSTRACE_OPS_HOST: str('Address the ops port (/metrics, /healthz; CROSSTRACE_<SERVICE>_HTTP_PORT) listens on. Loopback by default: metrics and health details stay on the node. Widen it (0.0.0.0, or one interface) only for a scraper on another host, as compose does inside its own network.', '127.0.0.1'),
  CROSSTRACE_CONSUMER_QUEUE_AHEAD: bool('A stage fetches again while the batches of its last fetch are handled: each batch is queued for its partition (what its fetches bring while a batch is handled waits as one batch; a partition with maxBatchRecords records waiting is paused). false = kafkajs\' own cycle: the next fetch waits until every partition\'s batch of the last one is handled, and a record that arrives meanwhile waits for the slowest of them (kafka.ts, partition-queues.ts). Off by default: in four A/B pairs it cut the decisive event\'s p99 1.9-3.5x at 5k and 10k events/s with other work on the machine, and was within the noise on a quieter one (bench/ROUNDS.md rounds 8 and 15).', false),
  ...kafkaSecuritySpec,
} satisfies Spec;
