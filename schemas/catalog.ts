// The schema catalog: every message's Avro schema, loaded from the .avsc files beside this
// file (the single source of truth). Named references across files ("type": "Hop") are
// inlined at load time, so each schema registered is self-contained and any Confluent
// client can read it without schema references.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type AvroSchema = string | AvroSchema[] | { [k: string]: unknown };

const here = dirname(fileURLToPath(import.meta.url));
const NAMESPACE = 'org.crosstrace.v1';

/** Raw parsed .avsc files keyed by record name (FlowEvent, SessionEvent, ...). */
export function loadRawSchemas(dir: string = here): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.avsc')).sort()) {
    const s = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
    out.set(String(s.name), s);
  }
  return out;
}

/** Every named type (records, enums) defined anywhere, by short and full name. */
function collectNamed(node: AvroSchema, into: Map<string, AvroSchema>): void {
  if (Array.isArray(node)) { node.forEach((n) => collectNamed(n, into)); return; }
  if (typeof node !== 'object' || node === null) return;
  const t = node.type;
  if ((t === 'record' || t === 'enum' || t === 'fixed') && typeof node.name === 'string') {
    if (!into.has(node.name)) into.set(node.name, node);
  }
  if (t === 'record') for (const f of node.fields as { type: AvroSchema }[]) collectNamed(f.type, into);
  if (t === 'array') collectNamed(node.items as AvroSchema, into);
  if (t === 'map') collectNamed(node.values as AvroSchema, into);
  if (typeof t === 'object') collectNamed(t as AvroSchema, into);
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** Inline named references: the first use of a name gets the definition, later uses the name. */
function inline(node: AvroSchema, named: Map<string, AvroSchema>, seen: Set<string>): AvroSchema {
  if (typeof node === 'string') {
    if (PRIMITIVES.has(node)) return node;
    const short = node.startsWith(`${NAMESPACE}.`) ? node.slice(NAMESPACE.length + 1) : node;
    if (seen.has(short)) return short;
    const def = named.get(short);
    if (!def) throw new Error(`schema reference "${node}" names no type defined in schemas/*.avsc`);
    return inline(def, named, seen);
  }
  if (Array.isArray(node)) return node.map((n) => inline(n, named, seen));
  const t = node.type;
  if ((t === 'record' || t === 'enum' || t === 'fixed') && typeof node.name === 'string') {
    if (seen.has(node.name)) return node.name;
    seen.add(node.name);
  }
  const copy: Record<string, unknown> = { ...node };
  if (t === 'record') {
    copy.fields = (node.fields as Record<string, unknown>[]).map((f) => ({ ...f, type: inline(f.type as AvroSchema, named, seen) }));
  } else if (t === 'array') copy.items = inline(node.items as AvroSchema, named, seen);
  else if (t === 'map') copy.values = inline(node.values as AvroSchema, named, seen);
  else if (typeof t === 'object') copy.type = inline(t as AvroSchema, named, seen);
  return copy;
}

/** Self-contained schemas keyed by top-level record name. */
export function loadSchemas(dir: string = here): Map<string, Record<string, unknown>> {
  const raw = loadRawSchemas(dir);
  const named = new Map<string, AvroSchema>();
  for (const s of raw.values()) collectNamed(s as AvroSchema, named);
  const out = new Map<string, Record<string, unknown>>();
  for (const [name, s] of raw) out.set(name, inline(s as AvroSchema, named, new Set()) as Record<string, unknown>);
  return out;
}

/** Which record each topic carries (TopicNameStrategy subject = `<topic>-value`). */
export const TOPIC_RECORDS = Object.freeze({
  'flows.raw': 'FlowEvent',
  'flows.norm': 'FlowEvent',
  'sessions.raw': 'SessionEvent',
  'sessions.norm': 'SessionEvent',
  'trace.requests': 'TraceRequest',
  'trace.hops': 'Hop',
  'trace.updates': 'TraceUpdate',
  'trace.state': 'TraceUpdate',
  'audit.disclosures': 'Disclosure',
  'registry.providers': 'Provider',
} as const);

/** Record carried by a topic, including the per-jurisdiction trace.updates.<CC> and audit.disclosures.<CC> topics. */
export function recordForTopic(topic: string): string | undefined {
  if (/^trace\.updates\.[A-Z]{2}$/.test(topic)) return 'SignedTraceUpdate';
  if (/^audit\.disclosures\.[A-Z]{2}$/.test(topic)) return 'Disclosure';
  return (TOPIC_RECORDS as Record<string, string>)[topic];
}
