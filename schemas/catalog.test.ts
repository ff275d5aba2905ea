import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { loadSchemas, recordForTopic, TOPIC_RECORDS } from './catalog.ts';
import { generate } from './codegen.ts';

const schemas = loadSchemas();

function fieldsOf(s: Record<string, unknown>): Record<string, unknown>[] {
  return s.fields as Record<string, unknown>[];
}

describe('schema catalog', () => {
  it('every schema is self-contained and parses with avsc', () => {
    expect([...schemas.keys()].sort()).toEqual(
      ['DeadLetter', 'Disclosure', 'FlowEvent', 'Hop', 'Provider', 'SessionEvent', 'SignedTraceUpdate', 'TraceRequest', 'TraceUpdate']);
    for (const [name, s] of schemas) {
      const t = avro.Type.forSchema(s as avro.Schema);
      expect(t.name).toBe(`org.crosstrace.v1.${name}`);
    }
  });

  it('every field documents itself, and times are timestamp-millis', () => {
    for (const s of schemas.values()) {
      for (const f of fieldsOf(s)) {
        expect(typeof f.doc, `${String(s.name)}.${String(f.name)} has no doc`).toBe('string');
        if (/(Time|At|Seen|From|To)$/.test(String(f.name)) && f.type === 'long') {
          throw new Error(`${String(s.name)}.${String(f.name)} looks like a time but is a plain long`);
        }
      }
    }
  });

  it('inlines cross-file references (TraceUpdate carries Hop and LegalBasis)', () => {
    const tu = avro.Type.forSchema(schemas.get('TraceUpdate') as avro.Schema) as avro.types.RecordType;
    const hops = tu.field('hops')!.type as avro.types.ArrayType;
    expect(hops.itemsType.name).toBe('org.crosstrace.v1.Hop');
    expect(tu.field('legalBasis')!.type.name).toBe('org.crosstrace.v1.LegalBasis');
  });

  it('maps topics to records, including per-jurisdiction topics', () => {
    expect(recordForTopic('flows.raw')).toBe('FlowEvent');
    expect(recordForTopic('trace.updates.FR')).toBe('SignedTraceUpdate');
    expect(recordForTopic('trace.updates.fr')).toBeUndefined();
    for (const r of Object.values(TOPIC_RECORDS)) expect(schemas.has(r)).toBe(true);
  });

  it('types.gen.ts is up to date with the .avsc files (run node schemas/codegen.ts)', () => {
    const onDisk = readFileSync(new URL('./types.gen.ts', import.meta.url), 'utf8');
    expect(onDisk).toBe(generate());
  });
});
