// JSON Schema (2020-12, as OpenAPI 3.1 uses it) of an Avro record as the API renders it, so
// the OpenAPI description of trace views cannot drift from schemas/*.avsc (no library converts
// Avro to JSON Schema). Named types become `<Name>#` references, fastify's shared-schema ids,
// which the generated OpenAPI document turns into `#/components/schemas/<Name>`; a nullable
// union becomes `type: [T, "null"]` or a oneOf; `long` timestamps stay integers (UTC ms).
type Avro = string | Avro[] | { [k: string]: unknown };
export type JsonSchema = Record<string, unknown>;

const PRIMITIVE: Record<string, JsonSchema> = {
  null: { type: 'null' }, boolean: { type: 'boolean' }, int: { type: 'integer', format: 'int32' }, long: { type: 'integer', format: 'int64' },
  float: { type: 'number' }, double: { type: 'number' }, string: { type: 'string' }, bytes: { type: 'string', contentEncoding: 'base64' },
};

const short = (n: string): string => n.slice(n.lastIndexOf('.') + 1);

/** Converts `schema` and every named type inside it into `into` (name -> JSON Schema). */
export function avroToJsonSchema(schema: Avro, into: Map<string, JsonSchema>): JsonSchema {
  if (typeof schema === 'string') return PRIMITIVE[schema] ?? { $ref: `${short(schema)}#` };
  if (Array.isArray(schema)) {
    const nonNull = schema.filter((s) => s !== 'null');
    const parts = nonNull.map((s) => avroToJsonSchema(s, into));
    if (nonNull.length === schema.length) return { oneOf: parts };
    const [one] = parts;
    if (parts.length === 1 && one && typeof one.type === 'string') return { ...one, type: [one.type, 'null'] };
    return { oneOf: [...parts, { type: 'null' }] };
  }
  const t = schema.type;
  if (t === 'record') {
    const name = short(String(schema.name));
    if (!into.has(name)) {
      into.set(name, {}); // placeholder: breaks recursion
      const fields = schema.fields as { name: string; type: Avro; doc?: string; default?: unknown }[];
      into.set(name, {
        type: 'object', ...(schema.doc ? { description: schema.doc } : {}),
        properties: Object.fromEntries(fields.map((f) => [f.name, { ...avroToJsonSchema(f.type, into), ...(f.doc ? { description: f.doc } : {}) }])),
        required: fields.map((f) => f.name),
      });
    }
    return { $ref: `${name}#` };
  }
  if (t === 'enum') {
    const name = short(String(schema.name));
    into.set(name, { type: 'string', enum: schema.symbols, ...(schema.doc ? { description: schema.doc } : {}) });
    return { $ref: `${name}#` };
  }
  if (t === 'array') return { type: 'array', items: avroToJsonSchema(schema.items as Avro, into) };
  if (t === 'map') return { type: 'object', additionalProperties: avroToJsonSchema(schema.values as Avro, into) };
  if (typeof t === 'string') return { ...avroToJsonSchema(t, into), ...(schema.logicalType === 'timestamp-millis' ? { description: 'UTC ms since epoch' } : {}) };
  return avroToJsonSchema(t as Avro, into);
}
