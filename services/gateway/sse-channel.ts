// One server-sent event stream, with backpressure. Events are written while the socket takes
// them; once a write reports a full buffer (write() === false) nothing more is written until
// 'drain'. Meanwhile events wait keyed by trace: a newer view of a trace replaces the one
// waiting (a view is the whole state, so a slow reader loses nothing it needs), and the order
// of first arrival is kept. Memory per stream is so bounded by the socket's high-water mark,
// one event, and `maxPending` waiting views; a reader further behind than that is cut off
// (the stream ends; the client reconnects and starts again from the newest state).
import type { ServerResponse } from 'node:http';

export interface SseChannel {
  /** Queues or writes one event; `key` names what a newer event replaces. */
  send(key: string, event: string): void;
  /** Writes a comment (keep-alive) unless the reader is behind. */
  comment(text: string): void;
  /** Events waiting for the socket to drain. */
  pending(): number;
  /** Ends the stream (idempotent). */
  close(): void;
}

export function openSseChannel(res: ServerResponse, o: { maxPending: number; onOverflow?(): void }): SseChannel {
  const waiting = new Map<string, string>();
  let blocked = false;
  let closed = false;
  const write = (text: string): void => { blocked = !res.write(text); };
  const flush = (): void => {
    blocked = false;
    for (const [key, event] of waiting) {
      if (blocked || closed) return;
      waiting.delete(key);
      write(event);
    }
  };
  res.on('drain', flush);
  const channel: SseChannel = {
    send(key, event) {
      if (closed) return;
      if (!blocked) { write(event); return; }
      waiting.delete(key);
      waiting.set(key, event);
      if (waiting.size > o.maxPending) {
        o.onOverflow?.();
        channel.close();
        res.destroy(); // whatever is still buffered for this reader is dropped with the socket
      }
    },
    comment(text) { if (!closed && !blocked) write(`: ${text}\n\n`); },
    pending: () => waiting.size,
    close() {
      if (closed) return;
      closed = true;
      waiting.clear();
      res.off('drain', flush);
      if (!res.destroyed) res.end();
    },
  };
  return channel;
}
