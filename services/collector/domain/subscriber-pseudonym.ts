// The subscriber handle the collector puts on an ACCESS_SESSION instead of the RADIUS account
// name (User-Name, else Calling-Station-Id): a keyed, provider-scoped pseudonym, so the name
// itself never reaches Kafka. "sub-" + the first 16 hex digits of HMAC-SHA256(key, provider|account).
// The simulator's wire mode uses it to say, in its ground truth, which handle a trace ends at. Pure.
import { createHmac } from 'node:crypto';

export function subscriberPseudonym(key: Buffer, providerId: string, account: string): string {
  return `sub-${createHmac('sha256', key).update(`${providerId}|${account}`).digest('hex').slice(0, 16)}`;
}
