// Gateway settings. Own keys: CROSSTRACE_GATEWAY_*.
import { bool, commonSpec, defineConfig, int, list, str, type FieldSpec } from '../common/config.ts';
import { isLoopback } from '../partner/gateway-client.ts';
import { parseTokens } from './tokens.ts';

const tokens: FieldSpec<[string, string][] | null> = {
  doc: 'Bearer tokens per jurisdiction, `GB:token,FR:token,...` (16+ characters each; several per jurisdiction allowed for rotation). Unset: read from CROSSTRACE_GATEWAY_TOKENS_FILE (`bin/crosstrace admin partner add CC` writes it).',
  default: null,
  parse: parseTokens,
};

export const gatewayConfig = defineConfig('CROSSTRACE_GATEWAY_', {
  ...commonSpec,
  CROSSTRACE_GATEWAY_HTTP_PORT: int('Ops port: /metrics and /healthz only (as every service\'s CROSSTRACE_<SERVICE>_HTTP_PORT); the API is on CROSSTRACE_GATEWAY_API_PORT.', 9104, 0, 65535),
  CROSSTRACE_GATEWAY_API_PORT: int('Port of the API (HTTPS): /v1/... and /openapi.json.', 9443, 0, 65535),
  CROSSTRACE_GATEWAY_HOST: str('Address the API listens on.', '0.0.0.0'),
  CROSSTRACE_GATEWAY_TLS_CERT_FILE: str('PEM certificate (chain) of the API; with CROSSTRACE_GATEWAY_TLS_KEY_FILE. Required unless CROSSTRACE_GATEWAY_PLAIN_HTTP.', ''),
  CROSSTRACE_GATEWAY_TLS_KEY_FILE: str('PEM private key of the API certificate.', ''),
  CROSSTRACE_GATEWAY_PLAIN_HTTP: bool('Serve the API as plain HTTP, for a TLS-terminating proxy on the same host or a test: allowed only when CROSSTRACE_GATEWAY_HOST is a loopback address.', false),
  CROSSTRACE_GATEWAY_TOKENS: tokens,
  CROSSTRACE_GATEWAY_TOKENS_FILE: str('File holding the tokens in the CROSSTRACE_GATEWAY_TOKENS format, used when that is unset. Missing: the gateway does not start, except in a demo (CROSSTRACE_DEMO), which creates it (0600) with a random token per CROSSTRACE_GATEWAY_JURISDICTIONS entry.', '.stack/keys/gateway-tokens'),
  CROSSTRACE_GATEWAY_JURISDICTIONS: list('Jurisdictions that get a generated token when a demo creates the tokens file, comma-separated.', ['GB', 'FR', 'DE', 'US', 'JP']),
  CROSSTRACE_DEMO: bool('A demo (make demo): the gateway may generate its tokens file when it is missing. Never set in a deployment.', false),
  CROSSTRACE_GATEWAY_MAX_STREAMS_PER_TOKEN: int('Open /v1/stream connections one token may hold at once; one more is answered 429.', 4, 1, 1000),
  CROSSTRACE_GATEWAY_STREAM_MAX_PENDING: int('Traces whose newest view may wait for a slow /v1/stream reader (the socket buffer is full); one more and that stream is ended (the client reconnects from the newest state).', 1000, 1, 1_000_000),
  CROSSTRACE_GATEWAY_TRUSTED_KEYS_FILE: str('Trust file of the publishing node: its Ed25519 public keys, PEM, with validity periods (the tracer writes `<signing key file>.pub`; services/partner/domain/trusted-keys.ts); re-read when an update names an unknown key. The gateway never reads the tracer\'s private key: a file holding one is refused at start.', '.stack/keys/node-ed25519.pem.pub'),
  CROSSTRACE_GATEWAY_AUDIT_GRACE_MS: int('How long an update may wait for its audit record, once audit.disclosures is caught up, before it is rejected, ms.', 10_000, 100, 600_000),
  CROSSTRACE_GATEWAY_MAX_BODY_BYTES: int('Largest request body accepted, bytes.', 65_536, 1_024, 10_485_760),
  CROSSTRACE_GATEWAY_KEEP_ENDED_MS: int('How long a trace stays served after it ended (closed, expired), ms; then its views are dropped from memory.', 86_400_000, 60_000, 30 * 86_400_000),
  CROSSTRACE_GATEWAY_HEARTBEAT_MS: int('Interval of keep-alive comments on /v1/stream, ms.', 15_000, 1_000, 300_000),
  CROSSTRACE_GATEWAY_FUTURE_TOLERANCE_MS: int('How far past the node clock a trace\'s observedTime may lie, ms.', 300_000, 0, 86_400_000),
  CROSSTRACE_GATEWAY_DEFAULT_TTL_MS: int('Lifetime of a trace (and of an extension) when the request gives no ttlMs, ms.', 3_600_000, 10_000, 30 * 86_400_000),
  CROSSTRACE_GATEWAY_MAX_TTL_MS: int('Largest ttlMs accepted, ms.', 7 * 86_400_000, 10_000, 30 * 86_400_000),
  DATABASE_URL: str('PostgreSQL URL of the history store: preservation orders (/v1/traces/{id}/preservation) need it; empty = those routes answer 503.', ''),
  CROSSTRACE_GATEWAY_OPENS_PER_MINUTE: int('Trace opens each jurisdiction may make per minute (sustained); beyond it POST /v1/traces answers 429 with Retry-After.', 60, 1, 1_000_000),
  CROSSTRACE_GATEWAY_OPEN_BURST: int('Trace opens a jurisdiction may make at once before CROSSTRACE_GATEWAY_OPENS_PER_MINUTE applies.', 20, 1, 1_000_000),
  CROSSTRACE_GATEWAY_CHANGES_PER_MINUTE: int('Other changes (extend, close, preservation open/extend/release) each jurisdiction may make per minute (sustained); beyond it they answer 429 with Retry-After. Each one that goes through can be a signed update to every audience of the trace and an audit record kept forever.', 30, 1, 1_000_000),
  CROSSTRACE_GATEWAY_CHANGE_BURST: int('Changes a jurisdiction may make at once before CROSSTRACE_GATEWAY_CHANGES_PER_MINUTE applies.', 20, 1, 1_000_000),
  CROSSTRACE_GATEWAY_PARTITIONS: int('Partitions of the pipeline topics the gateway creates when missing.', 6, 1, 1024),
}, (c) => [
  ...(c.CROSSTRACE_GATEWAY_DEFAULT_TTL_MS > c.CROSSTRACE_GATEWAY_MAX_TTL_MS ? ['CROSSTRACE_GATEWAY_DEFAULT_TTL_MS must not exceed CROSSTRACE_GATEWAY_MAX_TTL_MS'] : []),
  ...(!c.CROSSTRACE_GATEWAY_TLS_CERT_FILE !== !c.CROSSTRACE_GATEWAY_TLS_KEY_FILE ? ['CROSSTRACE_GATEWAY_TLS_CERT_FILE and CROSSTRACE_GATEWAY_TLS_KEY_FILE go together: set both'] : []),
  ...(!c.CROSSTRACE_GATEWAY_TLS_CERT_FILE && !c.CROSSTRACE_GATEWAY_PLAIN_HTTP
    ? ['the API needs TLS: set CROSSTRACE_GATEWAY_TLS_CERT_FILE and CROSSTRACE_GATEWAY_TLS_KEY_FILE (a local stack makes them: .stack/security/gateway.pem, gateway.key)'] : []),
  ...(c.CROSSTRACE_GATEWAY_TLS_CERT_FILE && c.CROSSTRACE_GATEWAY_PLAIN_HTTP ? ['CROSSTRACE_GATEWAY_PLAIN_HTTP=true contradicts CROSSTRACE_GATEWAY_TLS_CERT_FILE: choose one'] : []),
  ...(c.CROSSTRACE_GATEWAY_PLAIN_HTTP && !isLoopback(c.CROSSTRACE_GATEWAY_HOST)
    ? [`CROSSTRACE_GATEWAY_PLAIN_HTTP=true is allowed on a loopback CROSSTRACE_GATEWAY_HOST only (got ${c.CROSSTRACE_GATEWAY_HOST}): bearer tokens must not cross a network in clear`] : []),
]);


export type GatewayConfig = ReturnType<typeof gatewayConfig.parse>;
