// kafkajs 2.2.4 on Node >= 24: every broker connection's RequestQueue re-schedules its
// pending-request check with a NEGATIVE delay when nothing is pending and nothing is
// throttled (throttledUntil defaults to -1), which Node runs after 1 ms and warns about
// (TimeoutNegativeWarning) — a 1 kHz busy loop per connection for the process's lifetime
// (tulios/kafkajs#1704, #1751; the fix in tulios/kafkajs#1768 is unreleased). This replaces
// the method with the same logic minus the loop: with nothing pending and no throttle
// there is nothing to check (a new request is sent or scheduled by push()). Applied once,
// on import, to the module instance kafkajs itself loads.
import { createRequire } from 'node:module';

/** Same value as kafkajs' own constant in requestQueue/index.js. */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueLike & { __crosstracePatched?: true } };

export function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId) return;
  let scheduleAt = this.throttledUntil - Date.now();
  if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL;
  else if (scheduleAt <= 0) return; // nothing pending, not throttled: nothing to check
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, scheduleAt);
}

if (!RequestQueue.prototype.__crosstracePatched) {
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  RequestQueue.prototype.__crosstracePatched = true;
}

export const kafkajsRequestQueue = RequestQueue;
