// crosstrace preserve open|extend|release|show TRACE --gateway URL --token TOKEN [--gateway-ca FILE] [--days N]
// A preservation order (Budapest Convention Art. 16/29) on a trace's records, through the
// gateway (POST / POST .../extend / DELETE / GET /v1/traces/{id}/preservation): the token's
// jurisdiction must be the trace's requesting one. Prints the order as JSON on stdout and its
// legal clock (time left, or expired / released) on stderr; exit 0 when the gateway accepted, 1
// otherwise. One period is at most 90 days (Art. 16(2)); renew with extend.
import { parseArgs } from 'node:util';
import { safeJson } from '../partner/domain/safe-json.ts';
import { PRESERVATION_MAX_DAYS } from '../history/domain/legal-clock.ts';
import { escapeControls } from '../partner/domain/safe-text.ts';
import { orderClockLine, type OrderJson } from './domain/preservation-clock.ts';
import { UsageError } from './env.ts';
import { GATEWAY_FLAGS, GATEWAY_USAGE, callGateway, gatewayTarget, refusal } from '../partner/gateway-client.ts';

export const PRESERVE_USAGE = `crosstrace preserve open|extend|release|show TRACE ${GATEWAY_USAGE.split('\n')[0]} [--days N]
  open:    pin every record the trace's chain relies on, and the records around each hop's
           window, for --days (default 90, at most 90: Budapest Convention Art. 16(2))
  extend:  renew: push the order's expiry to now + --days (required, at most 90); never shortens it
  show:    the order and its legal clock (time left)
  release: end the order; retention may then take the records`;

const VERBS: Record<string, { method: string; suffix: string; days: 'optional' | 'required' | 'none' }> = {
  open: { method: 'POST', suffix: '', days: 'optional' },
  extend: { method: 'POST', suffix: '/extend', days: 'required' },
  release: { method: 'DELETE', suffix: '', days: 'none' },
  show: { method: 'GET', suffix: '', days: 'none' },
};

export async function preserveCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values: a, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: { ...GATEWAY_FLAGS, days: { type: 'string' } },
  });
  const [verb, traceId, ...extra] = positionals;
  const spec = VERBS[verb ?? ''];
  if (!spec) throw new UsageError(`preserve needs one of ${Object.keys(VERBS).join(', ')}`);
  if (!traceId || extra.length) throw new UsageError('preserve needs exactly one TRACE id');
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(traceId)) throw new UsageError('a trace id holds letters, digits and . _ : - (at most 128)');
  const target = gatewayTarget(a, env);
  if (spec.days === 'required' && a.days === undefined) throw new UsageError(`preserve ${verb} needs --days N`);
  if (spec.days === 'none' && a.days !== undefined) throw new UsageError(`preserve ${verb} takes no --days`);
  if (a.days !== undefined && (!/^\d{1,3}$/.test(a.days) || Number(a.days) < 1 || Number(a.days) > PRESERVATION_MAX_DAYS)) {
    throw new UsageError(`--days must be a whole number of days 1..${PRESERVATION_MAX_DAYS} (Budapest Convention Art. 16(2); renew for longer)`);
  }
  const body = a.days === undefined ? undefined : { days: Number(a.days) };
  const { status, json } = await callGateway(target, spec.method, `/v1/traces/${encodeURIComponent(traceId)}/preservation${spec.suffix}`, body);
  if (status < 200 || status > 299) {
    process.stderr.write(`${refusal(status, json)}\n`);
    return 1;
  }
  process.stdout.write(`${safeJson(json)}\n`);
  const order = json as Partial<OrderJson>;
  if (typeof order.expiresAt === 'number' && typeof order.traceId === 'string') process.stderr.write(`${escapeControls(orderClockLine(order as OrderJson, Date.now()))}\n`);
  return 0;
}
