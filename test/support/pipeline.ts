// The pipeline in-process, as the end-to-end tests start it: ingest -> correlator -> tracer
// (and the gateway when asked) against the stack under test. Each service gets its own
// consumer group (unique to the run, the same across restarts), an ephemeral HTTP port and
// reads from the end of its topics, as they were when it was first started (the group's start
// is committed then: groupAtEnd); the tracer signs with a fresh key and ticks every 200 ms;
// the gateway serves plain HTTP on loopback.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCorrelator } from '../../services/correlator/main.ts';
import { startGateway } from '../../services/gateway/main.ts';
import { startIngest } from '../../services/ingest/main.ts';
import { startTracer } from '../../services/tracer/main.ts';
import { groupAtEnd, ownRawTopic, SERVICE_INPUTS, serviceEnv, uniqueGroup, waitHealthy } from './services.ts';
import { stackEndpoints, type StackEndpoints } from './stack.ts';

export type PipelineService = 'INGEST' | 'CORRELATOR' | 'TRACER';

export interface PipelineOptions {
  /** Names the consumer groups and the tracer's transactional id (made unique per run). */
  name: string;
  /** Default: the stack of the global setup (asked for when a service starts). */
  stack?: StackEndpoints;
  /** Provider registry file every service loads (CROSSTRACE_<SVC>_PROVIDERS_FILE). */
  providersFile?: string;
  /** The tracer's signing key file (its public key lands beside it as .pub). Default: a fresh one. */
  keyFile?: string;
  /** Further settings by service, full keys (e.g. CROSSTRACE_TRACER_STALL_AFTER_MS). */
  env?: Partial<Record<PipelineService, Record<string, string>>>;
}

/** How to start each pipeline service (again): for tests that stop and restart them. */
export function pipelineServices(o: PipelineOptions) {
  const stack = (): StackEndpoints => o.stack ?? stackEndpoints();
  const keyFile = o.keyFile ?? join(mkdtempSync(join(tmpdir(), `ct-${o.name}-`)), 'node.pem');
  const group = (svc: PipelineService) => uniqueGroup(`${o.name}-${svc.toLowerCase()}`);
  const groups: Record<PipelineService, string> = { INGEST: group('INGEST'), CORRELATOR: group('CORRELATOR'), TRACER: group('TRACER') };
  const transactionalId = uniqueGroup(`${o.name}-tracer-tx`);
  // a group's start is committed once, before its service first starts; a restart goes on from its commits
  const started = new Map<PipelineService, Promise<void>>();
  const atEnd = (svc: PipelineService): Promise<void> => {
    if (!started.has(svc)) started.set(svc, groupAtEnd(stack(), groups[svc], [...SERVICE_INPUTS[svc]], svc === 'INGEST' ? ownRawTopic : undefined));
    return started.get(svc)!;
  };
  const env = (svc: PipelineService, extra: Record<string, string> = {}) => serviceEnv(stack(), {
    // from where groupAtEnd committed the group's start (FROM_BEGINNING: a partition it has no commit of)
    [`CROSSTRACE_${svc}_HTTP_PORT`]: '0', [`CROSSTRACE_${svc}_GROUP_ID`]: groups[svc], [`CROSSTRACE_${svc}_FROM_BEGINNING`]: 'true',
    ...(o.providersFile ? { [`CROSSTRACE_${svc}_PROVIDERS_FILE`]: o.providersFile } : {}), ...o.env?.[svc], ...extra,
  });
  return {
    get stack() { return stack(); },
    keyFile, env,
    tracer: async (extra: Record<string, string> = {}) => { await atEnd('TRACER'); return startTracer(env('TRACER', {
      CROSSTRACE_TRACER_SIGNING_KEY_FILE: keyFile, CROSSTRACE_TRACER_TICK_MS: '200', CROSSTRACE_TRACER_TRANSACTIONAL_ID: transactionalId, ...extra,
    })); },
    correlator: async (extra: Record<string, string> = {}) => { await atEnd('CORRELATOR'); return startCorrelator(env('CORRELATOR', extra)); },
    ingest: async (extra: Record<string, string> = {}) => { await atEnd('INGEST'); return startIngest(env('INGEST', extra)); },
  };
}

export interface GatewayOptions {
  /** Partner bearer tokens by jurisdiction. */
  tokens: Record<string, string>;
  /** Default: the tracer's public key. */
  trustedKeysFile?: string;
  /** How long the gateway may take to read its topics to their end, ms. Default 120 s. */
  caughtUpWithinMs?: number;
}

/**
 * Starts tracer, correlator and ingest (in that order, so no hop is produced before its reader
 * runs), waits until each is healthy, then the gateway if asked and until it has caught up.
 * `stop()` stops them in reverse order; a failed start stops what had started.
 */
export async function startPipeline(o: PipelineOptions & { gateway?: GatewayOptions }) {
  const s = pipelineServices(o);
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => { for (const f of stops.splice(0).reverse()) await f(); };
  try {
    const tracer = await s.tracer();
    stops.push(tracer.stop);
    const correlator = await s.correlator();
    stops.push(correlator.stop);
    const ingest = await s.ingest();
    stops.push(ingest.stop);
    for (const p of [tracer.port(), correlator.port(), ingest.port()]) await waitHealthy(p);
    const started = { stack: s.stack, keyFile: s.keyFile, env: s.env, tracer, correlator, ingest, stop };
    if (!o.gateway) return { ...started, gateway: undefined, base: '' };
    const g = o.gateway;
    const gateway = await startGateway(serviceEnv(s.stack, {
      CROSSTRACE_GATEWAY_HTTP_PORT: '0', CROSSTRACE_GATEWAY_API_PORT: '0', CROSSTRACE_GATEWAY_PLAIN_HTTP: 'true', CROSSTRACE_GATEWAY_HOST: '127.0.0.1',
      CROSSTRACE_GATEWAY_TOKENS: Object.entries(g.tokens).map(([cc, t]) => `${cc}:${t}`).join(','),
      CROSSTRACE_GATEWAY_TRUSTED_KEYS_FILE: g.trustedKeysFile ?? `${s.keyFile}.pub`, CROSSTRACE_GATEWAY_AUDIT_GRACE_MS: '3000',
    }));
    stops.push(gateway.stop);
    const until = Date.now() + (g.caughtUpWithinMs ?? 120_000);
    while (!gateway.caughtUp()) {
      if (Date.now() > until) throw new Error(`the gateway did not read its topics to their end within ${g.caughtUpWithinMs ?? 120_000} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { ...started, gateway, base: `http://127.0.0.1:${gateway.port()}` };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
