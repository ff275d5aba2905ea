// GET /v1/stream: server-sent events of the caller's jurisdiction's verified views. It opens
// with the newest view of every trace the jurisdiction has (so a console starts with state),
// then every new one; `?trace=<id>` narrows it to one trace. `id:` is traceId:seq, so a
// client drops what it has already seen. Keep-alive comments every heartbeatMs.
import { updateEvent } from '../render-update.ts';
import type { SignedTraceUpdate } from '../../../schemas/types.gen.ts';
import type { RouteContext } from './context.ts';

export function stream(ctx: RouteContext): void {
  const { res, req, cc, deps } = ctx;
  const only = ctx.url.searchParams.get('trace');
  const wanted = (s: SignedTraceUpdate): boolean => only === null || s.update.traceId === only;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(`retry: 3000\n: crosstrace stream of ${cc}\n\n`);
  for (const s of deps.book.views(cc)) if (wanted(s)) res.write(updateEvent(s));
  const unlisten = deps.book.listen(cc, (s) => { if (wanted(s)) res.write(updateEvent(s)); });
  const beat = setInterval(() => res.write(': keep-alive\n\n'), deps.heartbeatMs);
  deps.onStream?.(cc, 1);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    unlisten();
    clearInterval(beat);
    deps.onStream?.(cc, -1);
  };
  req.once('close', close);
  res.once('close', close);
}
