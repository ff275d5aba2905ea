// AMBIGUOUS (and any status added later) must not break a reader that does not know it: the
// TraceStatus enum carries a default (Avro 1.9 enum default), so a reader whose schema lacks a
// symbol the writer used reads OPEN — not terminal, nothing decided — instead of failing. A
// reader of release 1 (no default) cannot read AMBIGUOUS at all: it must upgrade.
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { loadSchemas } from './catalog.ts';

const current = loadSchemas().get('TraceUpdate')!;
const released1 = JSON.parse(readFileSync(new URL('./released/1/TraceUpdate.json', import.meta.url), 'utf8')) as avro.Schema;

/** The schema with `status`'s enum reduced to `symbols` (a reader from before they were added). */
function withStatuses(schema: unknown, symbols: string[]): avro.Schema {
  const copy = JSON.parse(JSON.stringify(schema)) as { fields: { name: string; type: { symbols: string[] } }[] };
  copy.fields.find((f) => f.name === 'status')!.type.symbols = symbols;
  return copy as unknown as avro.Schema;
}

const update = {
  traceId: 't1', seq: 3, status: 'AMBIGUOUS', audience: null, requestingJurisdiction: 'GB', legalBasis: 'ART33_REALTIME_TRAFFIC', caseReference: 'GB-1',
  observedTime: 1, expiresAt: 2, hops: [], awaiting: [], change: 'c', publishedAt: 3, decisiveAt: 3,
};

describe('TraceStatus evolution', () => {
  it('a reader that does not know AMBIGUOUS reads the enum default OPEN (not terminal)', () => {
    const writer = avro.Type.forSchema(current as avro.Schema);
    const reader = avro.Type.forSchema(withStatuses(current, ['OPEN', 'EXTENDED', 'STALLED', 'TERMINATED_AT_SUBSCRIBER', 'ENDED', 'EXPIRED', 'CLOSED']));
    const read = reader.fromBuffer(writer.toBuffer(update), reader.createResolver(writer)) as { status: string; seq: number };
    expect(read).toMatchObject({ status: 'OPEN', seq: 3 });
  });

  it('release 1 had no default: its readers fail on AMBIGUOUS (why the default is there now)', () => {
    const writer = avro.Type.forSchema(current as avro.Schema);
    const old = avro.Type.forSchema(released1);
    expect(() => old.createResolver(writer)).toThrow();
  });
});
