// Gateway settings. Own keys: CROSSTRACE_GATEWAY_*.
import { commonSpec, defineConfig, int, list, str, type FieldSpec } from '../common/config.ts';
import { parseTokens } from './tokens.ts';

const tokens: FieldSpec<[string, string][] | null> = {
  doc: 'Bearer tokens per jurisdiction, `GB:token,FR:token,...` (16+ characters each; several per jurisdiction allowed for rotation). Unset: read from CROSSTRACE_GATEWAY_TOKENS_FILE.',
  default: null,
  parse: parseTokens,
};

export const gatewayConfig = defineConfig('CROSSTRACE_GATEWAY_', {
  ...commonSpec,
  CROSSTRACE_GATEWAY_HTTP_PORT: int('Port of the API, /metrics and /healthz.', 9104, 0, 65535),
  CROSSTRACE_GATEWAY_HOST: str('Address the HTTP server listens on.', '0.0.0.0'),
  CROSSTRACE_GATEWAY_TOKENS: tokens,
  CROSSTRACE_GATEWAY_TOKENS_FILE: str('File holding the tokens in the CROSSTRACE_GATEWAY_TOKENS format, used when that is unset; created (0600) with a random token per CROSSTRACE_GATEWAY_JURISDICTIONS entry when missing.', '.stack/keys/gateway-tokens'),
  CROSSTRACE_GATEWAY_JURISDICTIONS: list('Jurisdictions that get a generated token when the tokens file is created, comma-separated.', ['GB', 'FR', 'DE', 'US', 'JP']),
  CROSSTRACE_GATEWAY_TRUSTED_KEYS_FILE: str('Trust file of the publishing node: its Ed25519 public keys, PEM, with validity periods (the tracer writes `<signing key file>.pub`; services/partner/domain/trusted-keys.ts); re-read when an update names an unknown key.', '.stack/keys/node-ed25519.pem.pub'),
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
  CROSSTRACE_GATEWAY_PARTITIONS: int('Partitions of the pipeline topics the gateway creates when missing.', 6, 1, 1024),
}, (c) => (c.CROSSTRACE_GATEWAY_DEFAULT_TTL_MS > c.CROSSTRACE_GATEWAY_MAX_TTL_MS
  ? ['CROSSTRACE_GATEWAY_DEFAULT_TTL_MS must not exceed CROSSTRACE_GATEWAY_MAX_TTL_MS'] : []));

export type GatewayConfig = ReturnType<typeof gatewayConfig.parse>;
