/**
 * The JSON body POSTed to endpoints.
 */
import type { HeraldEvent } from './model';

/**
 * Builds the body sent to endpoints:
 * `{"id": "evt_...", "type": "...", "timestamp": "<ISO-8601 of the event's acceptance>", "tenant": "...", "data": ...}`.
 *
 * `tenant` is left out when the event has none (empty string), rather than sent as `""`. The
 * timestamp is when the event was accepted, not when this attempt is made, so every retry carries
 * the same body (the attempt time is in the `webhook-timestamp` header). Missing `data` is sent as
 * `null` so the key is always there. The string returned is exactly what is signed and sent.
 */
export function buildEnvelope(event: Pick<HeraldEvent, 'id' | 'type' | 'tenant' | 'data' | 'createdAt'>): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    timestamp: new Date(event.createdAt).toISOString(),
    ...(event.tenant !== '' ? { tenant: event.tenant } : {}),
    data: event.data === undefined ? null : event.data,
  });
}
