// Test fixtures: a publishing node made like services/tracer/publisher.ts (Ed25519 over the
// signed bytes of each jurisdiction's view, Confluent-framed; one hash-chained, signed audit
// record per disclosure in its audience's chain), and views to publish. Avro types come from
// the schema catalog, no registry needed (schema id FIXTURE_SCHEMA_ID).
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import avro from 'avsc';
import { loadSchemas } from '../../schemas/catalog.ts';
import type { Disclosure, Hop, SignedTraceUpdate, TraceUpdate } from '../../schemas/types.gen.ts';
import { frame } from '../common/wire-format.ts';
import { createAuditChain } from './domain/audit-chain.ts';
import { keyIdOf, sign } from './domain/signing.ts';
import type { TrustedKey } from './domain/trusted-keys.ts';
import { viewFor } from '../tracer/domain/disclosure.ts';
/** The tracer's minimised view (re-exported for partner tests: only this file may import the tracer). */
export { viewFor };

const schemas = loadSchemas();
export const FIXTURE_SCHEMA_ID = 7;
export const updateType = avro.Type.forSchema(schemas.get('TraceUpdate') as avro.Schema);
export const disclosureType = avro.Type.forSchema(schemas.get('Disclosure') as avro.Schema);
export const encodeUpdate = (u: TraceUpdate): Buffer => updateType.toBuffer(u);
export const encodeDisclosure = (d: Disclosure): Buffer => disclosureType.toBuffer(d);
/** TraceUpdate as a later schema version with `fields` added (schema evolution). */
export const updateTypeWith = (fields: Record<string, unknown>[]): avro.Type => {
  const base = schemas.get('TraceUpdate') as { fields: unknown[] };
  return avro.Type.forSchema({ ...base, fields: [...base.fields, ...fields] } as avro.Schema);
};
/** The signed bytes of a view: Confluent-framed Avro, as the tracer makes them. */
export const framedUpdate = (u: TraceUpdate): Buffer => frame(FIXTURE_SCHEMA_ID, encodeUpdate(u));

export const trustedKey = (publicKey: KeyObject, validFrom: number | null = null, validUntil: number | null = null): TrustedKey =>
  ({ key: publicKey, keyId: keyIdOf(publicKey), validFrom, validUntil });

export function makeNode() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyId = keyIdOf(publicKey);
  const chains = new Map<string, ReturnType<typeof createAuditChain>>();
  const chainOf = (cc: string) => { let c = chains.get(cc); if (!c) { c = createAuditChain(); chains.set(cc, c); } return c; };
  return {
    keyId,
    privateKey,
    keys: new Map([[keyId, trustedKey(publicKey)]]),
    /** The signed view of `full` for `audience` and its audit record. */
    publish(full: TraceUpdate, audience: string): { signed: SignedTraceUpdate; record: Disclosure } {
      const view = viewFor(full, audience);
      const bytes = framedUpdate(view);
      const record = chainOf(audience).append({
        traceId: full.traceId, updateSeq: full.seq, audience, legalBasis: full.legalBasis, caseReference: full.caseReference,
        hopIds: view.hops.map((h) => h.hopId), subscriberHandles: view.hops.filter((h) => h.subscriberHandle !== null).length,
        updateDigest: createHash('sha256').update(bytes).digest(), disclosedAt: full.publishedAt, signerKeyId: keyId,
      }, encodeDisclosure, (h) => sign(h, privateKey));
      return { signed: { update: view, signerKeyId: keyId, signature: sign(bytes, privateKey), auditHash: record.hash, signedBytes: bytes }, record };
    },
  };
}

/** `s` with its view changed and signedBytes re-encoded, the signature left as it was (a forgery). */
export function forged(s: SignedTraceUpdate, change: Partial<TraceUpdate>): SignedTraceUpdate {
  const update = { ...s.update, ...change };
  return { ...s, update, signedBytes: framedUpdate(update) };
}

export function hop(over: Partial<Hop> = {}): Hop {
  return {
    traceId: 't1', hopId: 'h1', parentHopId: null, depth: 1, jurisdiction: 'FR', providerId: 'fr-cgn', method: 'PORT_BLOCK',
    observedAddr: '198.51.100.7', observedPort: 40001, leadsToAddr: '100.64.3.4', leadsToPort: null, subscriberHandle: null,
    evidenceEventIds: ['e1'], confidence: 1, rank: 1, firstSeen: 1_699_999_990_000, lastSeen: 1_699_999_998_000, active: true,
    windowFrom: 1_699_999_980_000, windowTo: 1_700_000_000_000, decisiveAt: 1_699_999_999_000, source: 'LIVE', pathConfidence: null, onBestPath: null, ...over,
  };
}

/** A full (unminimised) update of a GB trace through FR to an FR subscriber. */
export function fullUpdate(over: Partial<TraceUpdate> = {}): TraceUpdate {
  return {
    traceId: 't1', seq: 1, status: 'EXTENDED', audience: null, requestingJurisdiction: 'GB', legalBasis: 'ART33_REALTIME_TRAFFIC',
    caseReference: 'GB-NCA-1', observedTime: 1_699_999_995_000, expiresAt: 1_700_003_600_000,
    hops: [hop(), hop({ hopId: 'h2', parentHopId: 'h1', depth: 2, providerId: 'fr-bng', method: 'ACCESS_SESSION', observedAddr: '100.64.3.4', observedPort: null, leadsToAddr: null, subscriberHandle: 'fr-sub-0007', active: false })],
    awaiting: [], change: 'hop 2 in FR', publishedAt: 1_700_000_000_000, decisiveAt: 1_699_999_999_500, ...over,
  };
}
