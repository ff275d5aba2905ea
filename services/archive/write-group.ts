// Group commit: the batches handed in while a transaction is under way are written together in
// the next one. kafkajs hands the archive one batch per partition and fetch (12 partitions at
// once), and at a live rate each holds a few dozen records: one transaction, one WAL flush and
// one COPY set-up each, which cost PostgreSQL and the archive more than the rows themselves.
// Each caller's promise settles with its own batch's outcome once the transaction holding it
// committed (the consumer loop commits its Kafka offsets only then); a batch at fault fails
// alone (writeMany writes the batches one by one when a grouped transaction fails on the data).
import type { HistoryBatch, WriteResult } from './history-writer.ts';

export interface WriteGroupOptions {
  /** Writes batches in one transaction; each batch's outcome, in order (history-writer.ts). */
  writeMany(bs: readonly HistoryBatch[]): Promise<PromiseSettledResult<WriteResult>[]>;
  /** Most rows in one transaction (at least one batch goes, however large). */
  maxRows: number;
  /** Transactions under way at once. */
  inFlight: number;
}

const rowsOf = (b: HistoryBatch): number => b.sessions.length + b.flows.length;

export function createWriteGroup(o: WriteGroupOptions) {
  const waiting: { b: HistoryBatch; resolve(r: WriteResult): void; reject(e: unknown): void }[] = [];
  let running = 0;
  let scheduled = false;

  async function flush(): Promise<void> {
    running++;
    try {
      while (waiting.length > 0) {
        const take = [waiting.shift()!];
        for (let rows = rowsOf(take[0]!.b); waiting.length > 0 && rows + rowsOf(waiting[0]!.b) <= o.maxRows;) {
          rows += rowsOf(waiting[0]!.b);
          take.push(waiting.shift()!);
        }
        const results = await o.writeMany(take.map((t) => t.b)).catch((e: unknown) => take.map((): PromiseSettledResult<WriteResult> => ({ status: 'rejected', reason: e })));
        results.forEach((r, i) => (r.status === 'fulfilled' ? take[i]!.resolve(r.value) : take[i]!.reject(r.reason)));
      }
    } finally {
      running--;
    }
  }

  /** Starts a transaction on the next turn of the event loop (the handlers of one fetch hand
   *  in their batches in the same turn), unless all that may run are under way. */
  function schedule(): void {
    if (scheduled || running >= o.inFlight) return;
    scheduled = true;
    setImmediate(() => { scheduled = false; void flush().then(() => { if (waiting.length > 0) schedule(); }); });
  }

  return {
    write(b: HistoryBatch): Promise<WriteResult> {
      return new Promise((resolve, reject) => { waiting.push({ b, resolve, reject }); schedule(); });
    },
  };
}
