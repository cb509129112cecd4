/**
 * The JSON body POSTed to endpoints, in the endpoint's payload format.
 */
import type { HeraldEvent, PayloadFormat } from './model';

/**
 * Builds the body sent to endpoints:
 * `{"id": "evt_...", "type": "...", "timestamp": "<ISO-8601 of the event's acceptance>", "tenant": "...", "data": ...}`.
 *
 * `tenant` is `null` when the event has none (stored as the empty string): every body has the same
 * keys, which receivers with strict schemas prefer to a key that is sometimes missing. The
 * timestamp is when the event was accepted, not when this attempt is made, so every retry carries
 * the same body (the attempt time is in the `webhook-timestamp` header). Missing `data` is sent as
 * `null` so the key is always there. The string returned is exactly what is signed and sent.
 */
export function buildEnvelope(event: Pick<HeraldEvent, 'id' | 'type' | 'tenant' | 'data' | 'createdAt'>): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    timestamp: new Date(event.createdAt).toISOString(),
    tenant: event.tenant === '' ? null : event.tenant,
    data: dataOf(event),
  });
}

/** What a body in a given format needs besides the event. */
export interface BodyContext {
  readonly format: PayloadFormat;
  /** The deployment's environment (`sandbox`, `production`, ...): stamped into formats that carry one. */
  readonly environment: string;
  /** The endpoint the body goes to: Cryptr's `webhook_id`. */
  readonly endpointId: string;
}

/**
 * The body of an event in an endpoint's payload format; the string returned is exactly what is signed and sent,
 * and every retry sends the same bytes.
 *
 * - `standard`: {@link buildEnvelope}.
 * - `data`: the event's data alone (`null` when it has none).
 * - `cryptr`: {@link buildCryptrEvent}.
 */
export function buildBody(event: Pick<HeraldEvent, 'id' | 'type' | 'tenant' | 'data' | 'createdAt' | 'params' | 'errors'>, context: BodyContext): string {
  switch (context.format) {
    case 'standard':
      return buildEnvelope(event);
    case 'data':
      return JSON.stringify(dataOf(event));
    case 'cryptr':
      return buildCryptrEvent(event, context);
  }
}

/**
 * Cryptr's event object, with its keys in the order of Cryptr's example:
 * `{"__domain__", "__environment__", "__type__": "Event", "code", "data", "errors", "params", "issued_at", "webhook_id"}`.
 *
 * `__domain__` is the tenant (Cryptr's organization domain; `null` for an event without one), `__environment__`
 * the deployment's environment, `code` the event type, `issued_at` the event's acceptance time in ISO 8601 with
 * microseconds (`2023-06-13T09:03:18.750000Z`: Herald's clock has milliseconds, so the last three digits are 0),
 * `webhook_id` the endpoint's id. `errors` is the published `errors` list or `[]`, `params` the published
 * `params` object or `{}`, so a receiver always finds both keys.
 */
export function buildCryptrEvent(
  event: Pick<HeraldEvent, 'type' | 'tenant' | 'data' | 'createdAt' | 'params' | 'errors'>,
  context: Pick<BodyContext, 'environment' | 'endpointId'>,
): string {
  return JSON.stringify({
    __domain__: event.tenant === '' ? null : event.tenant,
    __environment__: context.environment,
    __type__: 'Event',
    code: event.type,
    data: dataOf(event),
    errors: event.errors ?? [],
    params: event.params ?? {},
    issued_at: isoMicroseconds(event.createdAt),
    webhook_id: context.endpointId,
  });
}

/** ISO 8601 in UTC with six fractional digits, as Cryptr writes `issued_at`. */
export function isoMicroseconds(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function dataOf(event: Pick<HeraldEvent, 'data'>): unknown {
  return event.data === undefined ? null : event.data;
}
