// crosstrace trace open --jurisdiction GB --src 198.51.100.7:40001 --dst 192.0.2.10:443 --proto 6
//   --observed <ISO or ms> [--tolerance-ms 2000] [--ttl-ms 3600000] --legal-basis ART33_REALTIME_TRAFFIC
//   --case <ref> [--trace-id ID] [--gateway URL --token T [--gateway-ca FILE]]
// Validates like the gateway does, then produces a TraceRequest OPEN to trace.requests (or
// POSTs it to the gateway, whose token decides the jurisdiction) and prints the trace id.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createRegistryClient } from '../common/registry.ts';
import { TOPICS } from '../common/topics.ts';
import { openRequest, validateOpenTrace, type FieldError } from '../partner/domain/open-request.ts';
import { parseEndpointArg } from './domain/endpoint-arg.ts';
import { escapeControls } from '../partner/domain/safe-text.ts';
import { cliConfig, cliKafka, UsageError } from './env.ts';
import { GATEWAY_FLAGS, callGateway, gatewayTarget, refusal } from '../partner/gateway-client.ts';

export const OPEN_USAGE = `crosstrace trace open --jurisdiction CC --src ADDR[:PORT] --dst ADDR[:PORT] --proto N --observed ISO|MS
                      --legal-basis BASIS --case REF [--tolerance-ms 2000] [--ttl-ms 3600000] [--trace-id ID]
                      [--gateway URL --token TOKEN [--gateway-ca FILE]]
  without --gateway: produces to trace.requests directly (KAFKA_BROKERS, SCHEMA_REGISTRY_URL)
  with --gateway:    POST URL/v1/traces over HTTPS, the certificate checked against --gateway-ca
                     (or CROSSTRACE_API_CA); the token's jurisdiction is the requesting one`;

const FLAG_OF: Record<string, string> = {
  srcAddr: '--src', srcPort: '--src', dstAddr: '--dst', dstPort: '--dst', protocol: '--proto', observedTime: '--observed',
  toleranceMs: '--tolerance-ms', ttlMs: '--ttl-ms', legalBasis: '--legal-basis', caseReference: '--case',
};
const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : /^-?\d+$/.test(v) ? Number(v) : Number.NaN);
const fieldErrors = (errors: FieldError[]): string => errors.map((e) => `${FLAG_OF[e.field] ?? e.field}: ${e.field} ${e.message}`).join('\n');

export async function openCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values: a } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      jurisdiction: { type: 'string' }, src: { type: 'string' }, dst: { type: 'string' }, proto: { type: 'string' }, observed: { type: 'string' },
      'tolerance-ms': { type: 'string' }, 'ttl-ms': { type: 'string' }, 'legal-basis': { type: 'string' }, case: { type: 'string' },
      'trace-id': { type: 'string' }, ...GATEWAY_FLAGS,
    },
  });
  const viaGateway = a.gateway !== undefined;
  if (viaGateway && !a.token) throw new UsageError('--gateway needs --token (your jurisdiction\'s bearer token)');
  if (!viaGateway && !/^[A-Z]{2}$/.test(a.jurisdiction ?? '')) throw new UsageError('--jurisdiction must be an ISO 3166-1 alpha-2 code, e.g. GB');
  if (a['trace-id'] !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(a['trace-id'])) throw new UsageError('--trace-id may hold letters, digits and . _ : - (at most 128)');
  const src = parseEndpointArg(a.src ?? '');
  const dst = parseEndpointArg(a.dst ?? '');
  if (typeof src === 'string') throw new UsageError(`--src: ${src}`);
  if (typeof dst === 'string') throw new UsageError(`--dst: ${dst}`);
  const body = {
    legalBasis: a['legal-basis'], caseReference: a.case, srcAddr: src.addr, srcPort: src.port, dstAddr: dst.addr, dstPort: dst.port,
    protocol: num(a.proto), observedTime: a.observed, toleranceMs: num(a['tolerance-ms']), ttlMs: num(a['ttl-ms']),
  };
  const v = validateOpenTrace(body, Date.now());
  if (!v.ok) throw new UsageError(fieldErrors(v.errors));

  if (viaGateway) {
    const { status, json } = await callGateway(gatewayTarget(a, env), 'POST', '/v1/traces', body);
    if (status !== 202 || typeof json.traceId !== 'string') {
      process.stderr.write(`${refusal(status, json)}\n`);
      return 1;
    }
    if (a.jurisdiction && json.requestingJurisdiction !== a.jurisdiction) process.stderr.write(`${escapeControls(`note: the token is ${String(json.requestingJurisdiction)}'s, not ${a.jurisdiction}'s`)}\n`);
    process.stdout.write(`${escapeControls(json.traceId)}\n`);
    return 0;
  }

  const cfg = cliConfig.parse(env);
  const req = openRequest(v.value, a['trace-id'] ?? randomUUID(), a.jurisdiction!, Date.now());
  const registry = createRegistryClient({ url: cfg.SCHEMA_REGISTRY_URL });
  await registry.ensureSubjects([TOPICS.traceRequests]);
  const producer = cliKafka(cfg, env, 'crosstrace-cli').kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic: TOPICS.traceRequests, messages: [{ key: req.traceId, value: registry.encode(TOPICS.traceRequests, req) }] });
  } finally {
    await producer.disconnect();
  }
  process.stderr.write(`opened ${req.traceId} for ${req.requestingJurisdiction}, case ${req.caseReference}, expires ${new Date(req.expiresAt).toISOString()}\n`);
  process.stdout.write(`${req.traceId}\n`);
  return 0;
}
