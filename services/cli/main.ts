// crosstrace: the partner client. `watch` follows your jurisdiction's verified trace chains;
// `trace open` opens a trace; `rebuild` (operators) rebuilds Redis windows from Kafka; `admin`
// manages principals, ACLs and partners; `preserve` places a preservation order on a trace's
// records; `evidence` exports / verifies them signed. Exit codes: 0 ok, 1 usage or setup error,
// 2 watch timed out.
import { ADMIN_USAGE, adminCommand } from './admin/admin-command.ts';
import { UsageError } from './env.ts';
import { EVIDENCE_USAGE, evidenceCommand } from './evidence-command.ts';
import { OPEN_USAGE, openCommand } from './open-command.ts';
import { PRESERVE_USAGE, preserveCommand } from './preserve-command.ts';
import { REBUILD_USAGE, rebuildCommand } from './rebuild-command.ts';
import { WATCH_USAGE, watchCommand } from './watch-command.ts';

const USAGE = `usage:
${WATCH_USAGE}

${OPEN_USAGE}

${PRESERVE_USAGE}

${EVIDENCE_USAGE}

${REBUILD_USAGE}

${ADMIN_USAGE}

environment: KAFKA_BROKERS (default: bootstrap.servers of KAFKA_CLIENT_PROPERTIES, else 127.0.0.1:19092),
  KAFKA_CLIENT_PROPERTIES (librdkafka-style file: security.protocol, sasl.*, ssl.ca.location; e.g. the CC.properties of
  admin partner add), KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD,
  KAFKA_SSL_CA_LOCATION (override the file), SCHEMA_REGISTRY_URL (default http://127.0.0.1:18081/apis/ccompat/v7)`;

export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  try {
    if (cmd === 'watch') return await watchCommand(argv.slice(1), env);
    if (cmd === 'trace' && sub === 'open') return await openCommand(rest, env);
    if (cmd === 'preserve') return await preserveCommand(argv.slice(1), env);
    if (cmd === 'evidence') return await evidenceCommand(argv.slice(1), env);
    if (cmd === 'rebuild') return await rebuildCommand(argv.slice(1), env);
    if (cmd === 'admin') return await adminCommand(argv.slice(1), env);
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') { process.stdout.write(`${USAGE}\n`); return cmd === undefined ? 1 : 0; }
    throw new UsageError(`unknown command: ${argv.join(' ')}`);
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`crosstrace: ${(e as Error).message}\n${usage ? `\n${USAGE}\n` : ''}`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2), process.env).then((code) => process.exit(code), (e: unknown) => {
    process.stderr.write(`crosstrace: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
