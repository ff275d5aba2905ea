// A second connection to the Redis an ioredis client talks to, as the same user (host, port,
// TLS, username, password, db taken from the client's options), that sends pre-built RESP
// bytes (resp.ts) and hands back the replies. For calls sent by the thousand (the rebuild's bulk
// write, ingest's dedupe, the correlator's index-many): one Buffer carries a whole pipeline, so
// no command object exists per command. Requests are answered in order;
// the connection is unref'd (it keeps no process alive) and closed with its ioredis client.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Redis } from 'ioredis';
import { dependencyDown } from './errors.ts';
import { RespError, RespWriter, createReplyReader, type RespReply } from './resp.ts';

export interface RawRedis {
  /** Writes `bytes` (`commands` RESP commands) and resolves with their replies, in order
   *  (error replies are RespError values, not rejections). Rejects when the connection fails. */
  send(bytes: Buffer, commands: number): Promise<RespReply[]>;
  close(): void;
}

/** `replyTimeoutMs`: a request not fully answered by then fails the connection (and with it
 *  every request on it: the caller retries on a new one). A Redis host that stops answering
 *  without a reset (a crash of its machine, a partition, a dropped conntrack entry) would
 *  otherwise leave a batch waiting for good, heartbeating, its partitions held. */
export async function openRawRedis(client: Redis, opts: { connectTimeoutMs?: number; replyTimeoutMs?: number } = {}): Promise<RawRedis> {
  const o = client.options;
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? 6379;
  const connectTimeoutMs = opts.connectTimeoutMs ?? o.connectTimeout ?? 10_000;
  const replyTimeoutMs = opts.replyTimeoutMs ?? 60_000;
  const socket: Socket = await new Promise((resolve, reject) => {
    const s: Socket = o.tls
      ? tlsConnect({ host, port, ...o.tls }, () => { clearTimeout(t); resolve(s); })
      : tcpConnect({ host, port }, () => { clearTimeout(t); resolve(s); });
    const t = setTimeout(() => { s.destroy(); reject(dependencyDown(`Redis bulk connection to ${host}:${port}: no connection after ${connectTimeoutMs} ms`, null)); }, connectTimeoutMs);
    s.once('error', (e) => { clearTimeout(t); reject(e); });
  });
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 30_000);
  socket.unref();
  const reader = createReplyReader();
  const queue: { left: number; replies: RespReply[]; timer: NodeJS.Timeout; resolve(r: RespReply[]): void; reject(e: Error): void }[] = [];
  let failed: Error | undefined;
  const fail = (e: Error): void => {
    failed ??= e;
    for (const q of queue.splice(0)) { clearTimeout(q.timer); q.reject(failed); }
  };
  socket.on('data', (chunk: Buffer) => {
    let replies: RespReply[];
    try { replies = reader.feed(chunk); } catch (e) { fail(e as Error); socket.destroy(); return; }
    let i = 0;
    while (i < replies.length) {
      const q = queue[0];
      if (!q) { fail(new Error('Redis sent a reply nobody asked for')); socket.destroy(); return; }
      const take = Math.min(q.left, replies.length - i);
      for (let j = 0; j < take; j++) q.replies.push(replies[i + j]!);
      i += take;
      q.left -= take;
      if (q.left === 0) { queue.shift(); clearTimeout(q.timer); q.resolve(q.replies); }
    }
  });
  socket.on('error', (e) => fail(dependencyDown(`Redis bulk connection: ${e.message}`, e)));
  socket.on('close', () => fail(dependencyDown('Redis bulk connection closed', null)));
  const raw: RawRedis = {
    send(bytes, commands) {
      if (failed) return Promise.reject(failed);
      if (commands === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          fail(dependencyDown(`Redis bulk connection: no full answer to ${commands} commands after ${replyTimeoutMs} ms`, null));
          socket.destroy();
        }, replyTimeoutMs);
        timer.unref();
        queue.push({ left: commands, replies: [], timer, resolve, reject });
        socket.write(bytes);
      });
    },
    close() { socket.destroy(); client.off('end', onEnd); },
  };
  // removed again on close: a connection reopened after each Redis restart adds no listener for good
  const onEnd = (): void => raw.close();
  client.once('end', onEnd);
  const hello = new RespWriter(256);
  if (o.password) { if (o.username) hello.command('AUTH', o.username, o.password); else hello.command('AUTH', o.password); }
  if (o.db) hello.command('SELECT', o.db);
  const n = hello.commands;
  const answers = await raw.send(hello.take(), n);
  const refused = answers.find((a) => a instanceof RespError);
  if (refused) { raw.close(); throw dependencyDown(`Redis bulk connection refused: ${(refused as Error).message}`, refused); }
  return raw;
}

/** A raw connection opened at the first send and dropped when a send fails, so the next send
 *  opens another (after a Redis restart, say): what each user of one keeps. */
export function lazyRawRedis(client: Redis): Pick<RawRedis, 'send'> {
  let conn: Promise<RawRedis> | undefined;
  return {
    async send(bytes, commands) {
      const opening = (conn ??= openRawRedis(client));
      try {
        return await (await opening).send(bytes, commands);
      } catch (e) {
        if (conn === opening) conn = undefined;
        void opening.then((c) => c.close(), () => undefined);
        throw e;
      }
    },
  };
}

/** Script calls on a raw connection: `write` puts one EVALSHA (byText false) or EVAL (byText
 *  true) command per call into the writer; the replies come back one per call, in order. The
 *  calls a Redis without the script in its cache (restarted, SCRIPT FLUSH) refused with NOSCRIPT
 *  did not run: they alone go again with the script's text, and their replies take the refusals'
 *  places. `sizeOf`: the writer's first buffer for these calls, bytes (it grows when short). */
export async function sendScriptCalls<C>(raw: Pick<RawRedis, 'send'>, calls: readonly C[], sizeOf: (calls: readonly C[], byText: boolean) => number,
  write: (w: RespWriter, calls: readonly C[], byText: boolean) => void): Promise<RespReply[]> {
  const send = (cs: readonly C[], byText: boolean): Promise<RespReply[]> => {
    const w = new RespWriter(sizeOf(cs, byText) + 256);
    write(w, cs, byText);
    if (w.commands !== cs.length) throw new Error(`sendScriptCalls: ${w.commands} commands written for ${cs.length} calls`);
    const n = w.commands;
    return raw.send(w.take(), n);
  };
  const replies = await send(calls, false);
  const again = replies.flatMap((r, i) => (r instanceof RespError && r.message.startsWith('NOSCRIPT') ? [i] : []));
  if (again.length === 0) return replies;
  const retried = await send(again.map((i) => calls[i]!), true);
  again.forEach((i, k) => { replies[i] = retried[k]!; });
  return replies;
}
