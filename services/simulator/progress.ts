// The live progress line on stderr, once a second: rate, total, schedule. On a TTY (and not
// CI=true) the line is rewritten in place; otherwise one plain line per second.

export interface ProgressSample {
  scenario: string;
  elapsedMs: number;
  durationMs: number;
  /** Records acknowledged in the last interval, per second. */
  rate: number;
  targetRate: number;
  total: number;
  byTopic: Record<string, number>;
  lagMs: number;
  backlog: number;
  tracesOpened: number;
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** Falling behind by more than this counts as behind schedule, ms. */
export const BEHIND_AFTER_MS = 1_000;

export function formatProgress(p: ProgressSample): string {
  const topics = Object.entries(p.byTopic).map(([t, c]) => `${t} ${n(c)}`).join(', ');
  const schedule = p.lagMs > BEHIND_AFTER_MS ? `BEHIND schedule by ${(p.lagMs / 1000).toFixed(1)} s (${n(p.backlog)} due)` : 'on schedule';
  return `simulator ${p.scenario} t+${Math.floor(p.elapsedMs / 1000)}/${Math.round(p.durationMs / 1000)}s  ${n(p.rate)} ev/s (target ${n(p.targetRate)})  total ${n(p.total)} [${topics}]  ${schedule}${p.tracesOpened ? `  traces opened ${p.tracesOpened}` : ''}`;
}

export function createProgressWriter(mode: 'auto' | 'plain' | 'off', out: NodeJS.WriteStream = process.stderr, env: Record<string, string | undefined> = process.env) {
  const inPlace = mode === 'auto' && out.isTTY === true && env.CI !== 'true';
  let dirty = false;
  return {
    write(line: string): void {
      if (mode === 'off') return;
      if (inPlace) { out.write(`\r${line}\x1b[K`); dirty = true; } else out.write(`${line}\n`);
    },
    /** Ends an in-place line so later output starts on its own line. */
    end(): void { if (dirty) { out.write('\n'); dirty = false; } },
  };
}
