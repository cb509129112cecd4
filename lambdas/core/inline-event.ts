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
 * the event is unkeyed or its copy is larger than {@link INLINE_EVENT_MAX_BYTES}.
 */
export function inlineEvent(event: HeraldEvent, keyed: boolean, endpointId: string): HeraldEvent | undefined {
  if (!keyed) return undefined;
  const entry = event.fanOut.find((f) => f.endpointId === endpointId);
  if (entry === undefined || entry.skipped === true) return undefined;
  const copy: HeraldEvent = { ...event, fanOut: [{ endpointId }] };
  return UTF8.encode(JSON.stringify(copy)).length <= INLINE_EVENT_MAX_BYTES ? copy : undefined;
}

const UTF8 = new TextEncoder();
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
