// Per-caller quota on requests that change something (trace opens; extends, closes and
// preservation orders): a token bucket per jurisdiction (all tokens of one partner share it,
// so rotating tokens does not double it). `perMinute` tokens are added per minute up to
// `burst`; a request takes one. An empty bucket answers how long until the
// next token, for a 429 with Retry-After. Pure: the clock is injected.

export interface RequestQuota {
  /** Takes one request for `caller`; when none is left, how many seconds until one is. */
  take(caller: string): { ok: true } | { ok: false; retryAfterS: number };
}

export function createRequestQuota(o: { perMinute: number; burst: number; now: () => number }): RequestQuota {
  if (!(o.perMinute > 0) || !(o.burst >= 1)) throw new Error(`request quota needs perMinute > 0 and burst >= 1 (got ${o.perMinute}, ${o.burst})`);
  const perMs = o.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(caller) {
      const now = o.now();
      const b = buckets.get(caller) ?? { tokens: o.burst, at: now };
      b.tokens = Math.min(o.burst, b.tokens + (now - b.at) * perMs);
      b.at = now;
      buckets.set(caller, b);
      if (b.tokens >= 1) { b.tokens -= 1; return { ok: true }; }
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)) };
    },
  };
}
