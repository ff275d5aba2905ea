import { describe, expect, it, vi } from 'vitest';
import { kafkajsRequestQueue, scheduleCheckPendingRequests } from './kafkajs-patch.ts';

describe('kafkajs RequestQueue patch (idle 1 kHz loop on Node >= 24)', () => {
  const queue = (o: { throttledUntil?: number; pending?: unknown[] } = {}) => ({
    throttledUntil: o.throttledUntil ?? -1, throttleCheckTimeoutId: null as ReturnType<typeof setTimeout> | null,
    pending: o.pending ?? [], checkPendingRequests: vi.fn(), scheduleCheckPendingRequests,
  });

  it('is installed on the class kafkajs uses', () => {
    expect(kafkajsRequestQueue.prototype.scheduleCheckPendingRequests).toBe(scheduleCheckPendingRequests);
  });

  it('schedules nothing with nothing pending and no throttle, and checks pending requests otherwise', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const idle = queue();
      idle.scheduleCheckPendingRequests();
      expect(idle.throttleCheckTimeoutId).toBeNull();
      const pending = queue({ pending: [{}] });
      pending.scheduleCheckPendingRequests();
      vi.advanceTimersByTime(10);
      expect(pending.checkPendingRequests).toHaveBeenCalledTimes(1);
      const throttled = queue({ throttledUntil: Date.now() + 500 });
      throttled.scheduleCheckPendingRequests();
      vi.advanceTimersByTime(499);
      expect(throttled.checkPendingRequests).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(throttled.checkPendingRequests).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
