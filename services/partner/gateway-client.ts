// A partner's client of the gateway API (the CLI's `trace open --gateway` and `preserve`, the
// demo's checks): HTTPS, the server
// certificate verified against the node's CA (--gateway-ca FILE or CROSSTRACE_API_CA; the
// system's CAs when neither is given), the bearer token in a header. A plain http:// URL is
// accepted for a loopback gateway only, so a token never crosses a network in clear. The
// gateway's answer is returned parsed; what it says is printed with control characters escaped.
// The environment names are CROSSTRACE_API_*, not CROSSTRACE_GATEWAY_*: the gateway's own config
// rejects unknown keys of its prefix, and a shell that sets up a client may also start a gateway.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { escapeControls } from './domain/safe-text.ts';

/** 127.0.0.0/8, ::1 or localhost: where a bearer token may travel without TLS (the gateway's
 *  CROSSTRACE_GATEWAY_PLAIN_HTTP holds to the same rule). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** A setting the caller gave that cannot work; the message says which and what to do. */
export class GatewayTargetError extends Error {}

export interface GatewayTarget { base: URL; token: string; ca?: Buffer }

export const GATEWAY_FLAGS = { gateway: { type: 'string' }, token: { type: 'string' }, 'gateway-ca': { type: 'string' } } as const;
export const GATEWAY_USAGE = `--gateway URL --token TOKEN [--gateway-ca FILE]
  (or CROSSTRACE_API_URL, CROSSTRACE_API_TOKEN, CROSSTRACE_API_CA: the CA that signed the gateway's
  certificate, e.g. .stack/security/ca.pem; https:// required except to a loopback gateway)`;

/** Where and as whom to call the gateway, from flags then environment; a GatewayTargetError says what is missing. */
export function gatewayTarget(a: { gateway?: string; token?: string; 'gateway-ca'?: string }, env: Record<string, string | undefined>): GatewayTarget {
  const url = a.gateway ?? env.CROSSTRACE_API_URL;
  const token = a.token ?? env.CROSSTRACE_API_TOKEN;
  if (!url || !token) throw new GatewayTargetError('the gateway needs --gateway URL and --token TOKEN (or CROSSTRACE_API_URL / CROSSTRACE_API_TOKEN)');
  let base: URL;
  try { base = new URL(url.replace(/\/*$/, '/')); } catch { throw new GatewayTargetError(`--gateway ${url} is not a URL (https://host:port)`); }
  const host = base.hostname.replace(/^\[|\]$/g, '');
  if (base.protocol === 'http:' && !isLoopback(host)) throw new GatewayTargetError(`--gateway ${url}: use https:// (plain http:// only to a gateway on this host: the token would cross the network in clear)`);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new GatewayTargetError(`--gateway ${url}: use https://`);
  const caFile = a['gateway-ca'] ?? env.CROSSTRACE_API_CA;
  let ca: Buffer | undefined;
  if (caFile && base.protocol === 'https:') {
    try { ca = readFileSync(caFile); } catch (e) { throw new GatewayTargetError(`--gateway-ca ${caFile}: ${(e as Error).message}`); }
  }
  return { base, token, ...(ca ? { ca } : {}) };
}

/** One request; resolves with the status and the parsed JSON body ({} when there is none). */
export function callGateway(t: GatewayTarget, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const url = new URL(path.replace(/^\//, ''), t.base);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = { authorization: `Bearer ${t.token}`, accept: 'application/json', ...(text === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }) };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ...(t.ca ? { ca: t.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try { json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>; } catch { /* not JSON: reported by status */ }
        resolve({ status: res.statusCode ?? 0, json });
      });
      res.on('error', reject);
    });
    req.on('error', (e) => reject(new Error(`gateway ${t.base.origin}: ${e.message}${/certificate|self.signed|CERT/i.test(e.message) ? ' (pass the CA that signed its certificate: --gateway-ca FILE)' : ''}`, { cause: e })));
    req.end(text);
  });
}

/** The line a refused request prints. */
export function refusal(status: number, json: Record<string, unknown>): string {
  const err = json.error as { code?: string; message?: string } | undefined;
  return escapeControls(`gateway answered ${status}: ${err ? `${err.code}: ${err.message}` : 'no body'}`);
}
