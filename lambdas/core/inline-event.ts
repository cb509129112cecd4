/**
 * The event carried inside a first-attempt intake message (`DeliveryMessage.event`), so the worker need not read
 * it: half a read unit per delivery, and one read round less per batch (issue 17).
 *
 * Only a keyed event is carried (a client id or an Idempotency-Key): an event without a key is deleted again when
 * its intake answers 503 after some of its messages went out, and a copy in such a message would be delivered
 * although the client, told it was not accepted, publishes it again under a new id. A keyed event stays, and the
 * client's retry finds it. Only a small one is carried, so a batch of ten messages stays within one 64 KB SQS
 * request chunk.
 */
import { parseDeliveryId } from './ids';
import type { FanOutEntry, HeraldEvent } from './model';

/** The largest event (its JSON, in bytes, fan-out reduced to one endpoint) a message carries. */
export const INLINE_EVENT_MAX_BYTES = 6144;

/**
 * The copy of `event` for the message to `endpointId`: its fan-out reduced to that endpoint's entry; undefined when
 * the event is unkeyed, the endpoint is not among its pending ones, or its copy is larger than
 * {@link INLINE_EVENT_MAX_BYTES}.
 */
export function inlineEvent(event: HeraldEvent, keyed: boolean, endpointId: string): HeraldEvent | undefined {
  return eventCarrier(event, keyed)(endpointId);
}

/**
 * {@link inlineEvent} for every endpoint of one event: the event is serialised and its fan-out indexed once, not once
 * per endpoint (a fan-out may hold thousands). A copy's size is the event's with an empty fan-out plus its one
 * entry's, which differs between endpoints only by the id.
 */
export function eventCarrier(event: HeraldEvent, keyed: boolean): (endpointId: string) => HeraldEvent | undefined {
  if (!keyed) return () => undefined;
  const pending = new Set(event.fanOut.filter((f) => f.skipped !== true).map((f) => f.endpointId));
  const bytesWithoutId = utf8Length(JSON.stringify({ ...event, fanOut: [{ endpointId: '' }] }));
  return (endpointId) => {
    if (!pending.has(endpointId) || bytesWithoutId + utf8Length(JSON.stringify(endpointId)) - 2 > INLINE_EVENT_MAX_BYTES) return undefined;
    return { ...event, fanOut: [{ endpointId }] };
  };
}

const UTF8 = new TextEncoder();
const utf8Length = (text: string) => UTF8.encode(text).length;
const isString = (v: unknown): v is string => typeof v === 'string';
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The event a message carries, when it is well formed and belongs to the message's delivery (same event key, its
 * fan-out naming the delivery's endpoint); otherwise undefined, and the worker reads the event as it would without.
 */
export function carriedEvent(value: unknown, deliveryId: string): HeraldEvent | undefined {
  if (!isRecord(value)) return undefined;
  const ids = parseDeliveryId(deliveryId);
  if (ids === undefined) return undefined;
  const { id, key, type, tenant, createdAt, fingerprint, fanOut, params, errors, idempotencyKey } = value;
  if (!isString(id) || key !== ids.eventKey || !isString(type) || !isString(tenant) || !isString(fingerprint)) return undefined;
  if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || !('data' in value)) return undefined;
  if (!Array.isArray(fanOut) || fanOut.length !== 1 || !isRecord(fanOut[0]) || fanOut[0].endpointId !== ids.endpointId || fanOut[0].skipped !== undefined) {
    return undefined;
  }
  if (params !== undefined && !isRecord(params)) return undefined;
  if (errors !== undefined && !Array.isArray(errors)) return undefined;
  if (idempotencyKey !== undefined && !isString(idempotencyKey)) return undefined;
  const entry: FanOutEntry = { endpointId: ids.endpointId };
  return {
    id,
    key,
    type,
    tenant,
    data: value.data,
    ...(params === undefined ? {} : { params }),
    ...(errors === undefined ? {} : { errors }),
    createdAt,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    fingerprint,
    fanOut: [entry],
  };
}
