// GET /v1/stream: server-sent events of the caller's jurisdiction's verified views. It opens
// with the newest view of every trace the jurisdiction has (so a console starts with state),
// then every new one; `?trace=<id>` narrows it to one trace. `id:` is traceId:seq, so a
// client drops what it has already seen. Keep-alive comments every heartbeatMs. A slow reader
// is served with backpressure (sse-channel.ts); each token may hold maxStreamsPerToken
// streams at once, one more is answered 429. A token revoked meanwhile ends its stream.
import type { FastifyRequest } from 'fastify';
import type { SignedTraceUpdate } from '../../../schemas/types.gen.ts';
import { ApiError } from '../api-errors.ts';
import { AUTH_ERRORS, TRACE_ID_PATTERN, error, ref } from '../api-schemas.ts';
import { updateEvent } from '../render-update.ts';
import { openSseChannel } from '../sse-channel.ts';
import type { RoutePlugin } from './context.ts';

export const streamRoutes: RoutePlugin = (app, deps) => {
  const open = new Map<string, number>(); // token id -> open streams
  app.get('/v1/stream', {
    schema: {
      operationId: 'stream', summary: 'Server-sent events: your jurisdiction\'s verified views, newest of each trace first, then live. `id:` is traceId:seq; event name `update`.',
      querystring: { type: 'object', additionalProperties: false, properties: { trace: { type: 'string', pattern: TRACE_ID_PATTERN, description: 'Only this trace.' } } },
      response: {
        200: { description: 'An event stream; each `data:` is a VerifiedUpdate (content type text/event-stream).', ...ref('VerifiedUpdate') },
        ...AUTH_ERRORS, 400: error('The trace query parameter is not a trace id.'),
        429: error(`This token already holds its maximum of ${deps.maxStreamsPerToken} open streams; close one first.`),
      },
    },
  }, (req: FastifyRequest<{ Querystring: { trace?: string } }>, reply) => {
    const { cc, tokenId } = req.caller;
    const held = open.get(tokenId) ?? 0;
    if (held >= deps.maxStreamsPerToken) {
      throw new ApiError(429, 'too_many_requests', `this token already holds ${held} open streams, the most one token may (CROSSTRACE_GATEWAY_MAX_STREAMS_PER_TOKEN=${deps.maxStreamsPerToken}); close one before opening another`);
    }
    open.set(tokenId, held + 1);
    const only = req.query.trace;
    const wanted = (s: SignedTraceUpdate): boolean => only === undefined || s.update.traceId === only;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const channel = openSseChannel(res, { maxPending: deps.maxPendingPerStream, onOverflow: () => deps.onStreamOverflow?.(cc) });
    res.write(`retry: 3000\n: crosstrace stream of ${cc}\n\n`);
    let unlisten = (): void => undefined;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      unlisten();
      clearInterval(beat);
      channel.close();
      const left = (open.get(tokenId) ?? 1) - 1;
      if (left > 0) open.set(tokenId, left); else open.delete(tokenId);
      deps.onStream?.(cc, -1);
    };
    // a token revoked while its stream is open (`admin partner remove`, the tokens file re-read)
    // gets nothing more: checked before every event and at every keep-alive
    const revoked = (): boolean => {
      if (req.caller.stillValid()) return false;
      close();
      return true;
    };
    const send = (s: SignedTraceUpdate): void => { if (!closed && wanted(s) && !revoked()) channel.send(s.update.traceId, updateEvent(s)); };
    deps.onStream?.(cc, 1);
    unlisten = deps.book.listen(cc, send);
    const beat = setInterval(() => { if (!revoked()) channel.comment('keep-alive'); }, deps.heartbeatMs);
    for (const s of deps.book.views(cc)) send(s);
    req.raw.once('close', close);
    res.once('close', close);
  });
};
