// crosstrace watch --jurisdiction FR [--trust FILE]... [--from-beginning] [--until-terminal]
//                  [--timeout S] [--trace ID]... [--plain] [--audit-grace-ms MS]
// Reads trace.updates.<CC> and audit.disclosures.<CC> (its own topics only, with the
// partner's own credentials) from the beginning, verifies every update
// (partner/domain/update-check.ts) and every audit record (partner/domain/audit-ledger.ts:
// signed, hash-chained; a fork or a restarted chain is flagged) and renders the chains. Exit codes: 0 done
// (or stopped), 1 usage / setup error, 2 --timeout reached before every watched trace was
// terminal.
import { parseArgs } from 'node:util';
import { createRegistryClient } from '../common/registry.ts';
import { auditTopic, jurisdictionTopic } from '../common/topics.ts';
import { CLEAR_HOME } from './domain/render.ts';
import { escapeControls, escapeLines } from '../partner/domain/safe-text.ts';
import { createWatchSession } from './domain/watch-session.ts';
import { cliConfig, cliKafka, UsageError } from './env.ts';
import { followTopics } from '../partner/topic-follower.ts';
import { readSignedUpdate } from '../partner/signed-update-reader.ts';
import { readTrustFiles } from '../partner/trust-file.ts';
import { readDisclosure } from '../partner/written-disclosure.ts';

export const WATCH_USAGE = `crosstrace watch --jurisdiction CC [--trust FILE]... [--from-beginning] [--until-terminal] [--timeout SECONDS]
                 [--trace ID]... [--plain] [--audit-grace-ms MS]
  --jurisdiction CC   your jurisdiction: reads trace.updates.CC and its audit feed audit.disclosures.CC only
  --trust FILE        the node's public keys (PEM, with validity periods; default .stack/keys/node-ed25519.pem.pub); repeatable
  --from-beginning    show and watch every trace on the topic (default: traces still going on, and new ones)
  --until-terminal    exit 0 once every watched trace is TERMINATED_AT_SUBSCRIBER, ENDED, CLOSED or AMBIGUOUS
  --timeout SECONDS   stop after this long; with --until-terminal, exit 2
  --trace ID          watch only this trace (repeatable)
  --plain             one line per update even on a terminal (also when not a TTY or CI=true)
  --audit-grace-ms MS how long an update may wait for its audit record before it is rejected (default 10000)`;

export async function watchCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values: a } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      jurisdiction: { type: 'string' }, trust: { type: 'string', multiple: true }, 'from-beginning': { type: 'boolean', default: false },
      'until-terminal': { type: 'boolean', default: false }, timeout: { type: 'string' }, trace: { type: 'string', multiple: true },
      plain: { type: 'boolean', default: false }, 'audit-grace-ms': { type: 'string', default: '10000' },
    },
  });
  const cc = a.jurisdiction ?? '';
  if (!/^[A-Z]{2}$/.test(cc)) throw new UsageError('--jurisdiction must be an ISO 3166-1 alpha-2 code, e.g. FR');
  const timeoutS = a.timeout === undefined ? undefined : Number(a.timeout);
  if (timeoutS !== undefined && !(timeoutS > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  const graceMs = Number(a['audit-grace-ms']);
  if (!Number.isInteger(graceMs) || graceMs < 0) throw new UsageError('--audit-grace-ms must be a whole number of ms');
  const cfg = cliConfig.parse(env);
  const keys = readTrustFiles(a.trust?.length ? a.trust : ['.stack/keys/node-ed25519.pem.pub']);
  const registry = createRegistryClient({ url: cfg.SCHEMA_REGISTRY_URL });
  const disclosureType = registry.typeOf('Disclosure');
  const topic = jurisdictionTopic(cc);
  const audit = auditTopic(cc);
  const screen = process.stdout.isTTY === true && env.CI !== 'true' && !a.plain;
  const session = createWatchSession({
    audience: cc, topic, keys, encodeDisclosure: (d) => disclosureType.toBuffer(d),
    auditGraceMs: graceMs, fromBeginning: a['from-beginning'], traceIds: a.trace ?? [],
  });
  const started = Date.now();
  const deadline = timeoutS === undefined ? Infinity : started + timeoutS * 1000;
  let dirty = true;
  const out = (lines: string[]): void => {
    if (lines.length === 0) return;
    dirty = true;
    if (screen) { for (const l of lines) if (l.startsWith('audit FLAGGED')) process.stderr.write(`${escapeControls(l)}\n`); } else process.stdout.write(`${escapeLines(lines)}\n`);
  };

  let auditCaughtUp = (): boolean => false; // `handle` may run before followTopics returns
  const f = await followTopics({
    // a partner's consumer groups are its own: partner-<CC>-* (deploy/security/acls.json)
    kafka: cliKafka(cfg, env, `crosstrace-watch-${cc}`).kafka, groupId: `partner-${cc}-watch-${process.pid}-${Date.now().toString(36)}`,
    topics: [audit, topic], waitForTopicsMs: Math.min(deadline - Date.now(), 3_600_000),
    onWaiting: (t) => process.stderr.write(`waiting for topic ${t} to exist…\n`),
    onSkip: (m, err) => process.stderr.write(`skipped ${m.topic}@${m.offset}: ${escapeControls((err as Error).message)}\n`),
    onRetry: (err, ms) => process.stderr.write(`retrying in ${ms} ms: ${(err as Error).message}\n`),
    handle: async (m) => {
      if (m.value === null) return;
      const now = Date.now();
      if (m.topic === audit) { const r = await readDisclosure(registry, m.topic, m.value); out(session.audit(r.record, now, auditCaughtUp(), r.written)); }
      else out(session.update(await readSignedUpdate(registry, m.topic, m.value), now, `${m.topic}@${m.offset}`));
    },
  });

  auditCaughtUp = () => f.caughtUp(audit);
  let lastDraw = 0;
  return await new Promise<number>((resolve) => {
    let finished = false;
    const finish = (code: number, message: string): void => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      if (screen) process.stdout.write(CLEAR_HOME + escapeLines(session.screen(Date.now()).split('\n')));
      process.stderr.write(`${message} (${session.summary()})\n`);
      void f.stop().finally(() => resolve(code));
    };
    const tick = (): void => {
      const now = Date.now();
      out(session.tick(now, { updates: f.caughtUp(topic), audit: f.caughtUp(audit) }));
      if (screen && (dirty || now - lastDraw >= 1000)) { process.stdout.write(CLEAR_HOME + escapeLines(session.screen(now).split('\n'))); dirty = false; lastDraw = now; }
      if (a['until-terminal'] && session.done()) finish(0, 'every watched trace is terminal');
      else if (now >= deadline) {
        const open = session.notTerminal();
        if (a['until-terminal']) finish(2, `timed out after ${timeoutS} s; not terminal: ${open.length ? open.join(', ') : '(no trace seen yet)'}`);
        else finish(0, `stopped after ${timeoutS} s`);
      }
    };
    const timer = setInterval(tick, 250);
    process.once('SIGINT', () => finish(0, 'interrupted'));
    process.once('SIGTERM', () => finish(0, 'terminated'));
  });
}
