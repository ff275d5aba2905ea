// The check behind a stage's stateGuard (service-kit.ts): whether Redis lost the state this
// stage keeps there, and its rebuild from Kafka when it did. status() is what /healthz shows:
// undefined when the state is there, else why it is not. A check that cannot reach Redis says
// so and clears itself when a later check finds the state there (a Redis restart with its
// append-only file back is not a loss); a failed rebuild is retried by the next check.
import type { Logger } from 'pino';

export interface StateGuard { what: string; lost(): Promise<boolean>; recover(): Promise<void> }

export function createStateGuardCheck(guard: StateGuard, logger: Pick<Logger, 'error' | 'warn'>, stopping: () => boolean) {
  let status: string | undefined;
  let busy = false;
  const check = async (): Promise<void> => {
    if (busy || stopping()) return;
    busy = true;
    try {
      let lost: boolean;
      try { lost = await guard.lost(); } catch (e) {
        status = `could not check (retried in 5 s): ${(e as Error).message}`;
        return;
      }
      if (!lost) { status = undefined; return; }
      status = 'lost: rebuilding from Kafka';
      logger.error(`Redis lost the ${guard.what}: rebuilding from Kafka`);
      const t0 = Date.now();
      try {
        await guard.recover();
      } catch (e) {
        status = `rebuild failed, retried in 5 s: ${(e as Error).message}`;
        logger.error({ err: e }, `rebuilding the ${guard.what} failed; retrying`);
        return;
      }
      logger.warn({ ms: Date.now() - t0 }, `${guard.what} rebuilt from Kafka`);
      status = undefined;
    } finally { busy = false; }
  };
  return { check, status: () => status };
}
