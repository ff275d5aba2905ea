// Start/stop plumbing for a service's main.ts: SIGTERM/SIGINT call stop() once; stop() is
// idempotent, may be called before start(), and closes in reverse order of start.
import { applyHeapGrowth } from './heap-growth.ts';
import type { Logger } from './logger.ts';

export interface Closer { name: string; close(): Promise<void> | void }

export function createLifecycle(logger: Logger) {
  const closers: Closer[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const c of closers.reverse()) {
        try { await c.close(); } catch (e) { logger.error({ err: e, component: c.name }, 'error while stopping'); }
      }
      logger.info('stopped');
    })();
    return stopped;
  };
  return {
    /** Registers something to close on stop (closed last-registered first). */
    onStop(name: string, close: () => Promise<void> | void) { closers.push({ name, close }); },
    stop,
    get stopping() { return stopped !== undefined; },
    installSignalHandlers() {
      for (const sig of ['SIGTERM', 'SIGINT'] as const) {
        process.once(sig, () => { logger.info({ signal: sig }, 'shutting down'); void stop().then(() => process.exit(0)); });
      }
    },
  };
}

/** A service's main.ts run as a process: V8's heap policy first (heap-growth.ts), then start;
 *  signals stop it gracefully; a start that fails (a bad setting included) prints why and exits 1. */
export function runService(name: string, start: () => Promise<{ lifecycle: { installSignalHandlers(): void } }>): void {
  Promise.resolve().then(() => { applyHeapGrowth(); return start(); }).then((s) => s.lifecycle.installSignalHandlers(), (e: unknown) => {
    console.error(`${name} failed to start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
