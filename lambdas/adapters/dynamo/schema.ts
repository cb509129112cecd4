/**
 * The single-table layout: key builders and the mapping between domain records and DynamoDB items
 * (DocumentClient form). Every adapter that touches the table goes through these functions, so the
 * layout is written down exactly once.
 *
 * | entity      | pk               | sk           | gsi1 (pk / sk)                  | gsi2 (pk / sk)                          | gsi3 (pk / sk)                       |
 * |-------------|------------------|--------------|---------------------------------|-----------------------------------------|--------------------------------------|
 * | endpoint    | EP#<id>          | EP           | EPS#<tenant> / <created>#<id>   | EPS / <created>#<id>                    | -                                    |
 * | event       | EVT#<id>         | EVT          | -                               | -                                       | -                                    |
 * | idempotency | IDEM#<key>       | IDEM         | -                               | -                                       | -                                    |
 * | delivery    | DLV#<id>         | DLV          | EPDLV#<endpoint> / <created>#id | EPDLV#<endpoint>#<status> / <created>#id | non-final: DUE#<shard> / <due>#<id>; dead: DEAD / <updated>#<id> |
 * | attempt     | DLV#<deliveryId> | ATT#<00001>  | -                               | -                                       | -                                    |
 * | alert window| ALERT#<endpoint> | ALERT        | -                               | -                                       | with suppressed dead letters: ALERTDUE / <windowEnd>#<endpoint> |
 *
 * Times are epoch ms numbers in attributes; sort keys use ISO-8601 strings so they order correctly.
 * Every item carries `expiresAt` (epoch seconds) for TTL retention.
 */
import { DUE_SHARDS, TABLE_SPEC } from '../../../lib/spec';
import type { Attempt, Delivery, Endpoint, HeraldEvent } from '../../core/model';
import { isFinal } from '../../core/model';
import { headerMap } from '../../core/header-map';

export type Item = Record<string, unknown>;

export const TTL_ATTRIBUTE = TABLE_SPEC.ttlAttribute;

export const keys = {
  endpoint: (id: string) => ({ pk: `EP#${id}`, sk: 'EP' }),
  event: (id: string) => ({ pk: `EVT#${id}`, sk: 'EVT' }),
  idempotency: (key: string) => ({ pk: `IDEM#${key}`, sk: 'IDEM' }),
  delivery: (id: string) => ({ pk: `DLV#${id}`, sk: 'DLV' }),
  attempt: (deliveryId: string, n: number) => ({ pk: `DLV#${deliveryId}`, sk: `ATT#${String(n).padStart(5, '0')}` }),
  alertWindow: (endpointId: string) => ({ pk: `ALERT#${endpointId}`, sk: 'ALERT' }),
} as const;

/** GSI partition values used in queries. */
export const indexKeys = {
  endpointsOfTenant: (tenant: string) => `EPS#${tenant}`,
  allEndpoints: 'EPS',
  deliveriesOfEndpoint: (endpointId: string) => `EPDLV#${endpointId}`,
  deliveriesOfEndpointByStatus: (endpointId: string, status: string) => `EPDLV#${endpointId}#${status}`,
  due: (shard: number) => `DUE#${shard}`,
  dead: 'DEAD',
  /** Alert windows holding dead letters not yet reported (the deliver worker's coalesced alerts), by window end. */
  alertsToFlush: 'ALERTDUE',
} as const;

export const ATTEMPT_SK_PREFIX = 'ATT#';

const iso = (ms: number) => new Date(ms).toISOString();

/** Stable shard of a delivery id in the work index. */
export function dueShard(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % DUE_SHARDS;
}

/** Sort key of an alert window in the `alertsToFlush` partition of gsi3: windows order by their end. */
export function alertFlushSortKey(windowEnd: number, endpointId: string): string {
  return `${iso(windowEnd)}#${endpointId}`;
}

/** TTL value (epoch seconds) for a record written at `now` under `retentionDays`. */
export function expiresAt(now: number, retentionDays: number): number {
  return Math.floor(now / 1000) + retentionDays * 86400;
}

export function endpointToItem(ep: Endpoint, ttl?: number): Item {
  const created = `${iso(ep.createdAt)}#${ep.id}`;
  return {
    ...keys.endpoint(ep.id),
    gsi1pk: indexKeys.endpointsOfTenant(ep.tenant),
    gsi1sk: created,
    gsi2pk: indexKeys.allEndpoints,
    gsi2sk: created,
    entity: 'endpoint',
    ...ep,
    // Endpoints live until deleted; TTL only if the caller asks for it.
    ...(ttl === undefined ? {} : { [TTL_ATTRIBUTE]: ttl }),
  };
}

export function itemToEndpoint(item: Item): Endpoint {
  return {
    id: item.id as string,
    url: item.url as string,
    description: (item.description as string | undefined) ?? '',
    eventTypes: (item.eventTypes as string[] | undefined) ?? ['*'],
    tenant: (item.tenant as string | undefined) ?? '',
    retryPolicy: (item.retryPolicy as Endpoint['retryPolicy'] | undefined) ?? {},
    timeoutMs: item.timeoutMs as number,
    headers: headerMap(Object.entries((item.headers as Record<string, string> | undefined) ?? {})),
    disabled: Boolean(item.disabled),
    ...(item.disabledReason === undefined ? {} : { disabledReason: item.disabledReason as string }),
    ...(item.payloadFormat === undefined ? {} : { payloadFormat: item.payloadFormat as Endpoint['payloadFormat'] }),
    secrets: (item.secrets as Endpoint['secrets'] | undefined) ?? [],
    health: (item.health as Endpoint['health'] | undefined) ?? { consecutiveFailures: 0 },
    createdAt: item.createdAt as number,
    updatedAt: item.updatedAt as number,
  };
}

export function eventToItem(ev: HeraldEvent, ttl: number): Item {
  const { data, params, errors, ...rest } = ev;
  return {
    ...keys.event(ev.id),
    entity: 'event',
    ...rest,
    // Stored as JSON text: keeps the payload byte-exact (numbers, empty strings, key order).
    dataJson: JSON.stringify(data),
    ...(params === undefined ? {} : { paramsJson: JSON.stringify(params) }),
    ...(errors === undefined ? {} : { errorsJson: JSON.stringify(errors) }),
    [TTL_ATTRIBUTE]: ttl,
  };
}

export function itemToEvent(item: Item): HeraldEvent {
  return {
    id: item.id as string,
    type: item.type as string,
    tenant: (item.tenant as string | undefined) ?? '',
    data: JSON.parse(item.dataJson as string) as unknown,
    ...(item.paramsJson === undefined ? {} : { params: JSON.parse(item.paramsJson as string) as HeraldEvent['params'] }),
    ...(item.errorsJson === undefined ? {} : { errors: JSON.parse(item.errorsJson as string) as HeraldEvent['errors'] }),
    createdAt: item.createdAt as number,
    ...(item.idempotencyKey === undefined ? {} : { idempotencyKey: item.idempotencyKey as string }),
    deliveryIds: (item.deliveryIds as string[] | undefined) ?? [],
  };
}

/** The index attributes a delivery must carry for its status; used by puts and by status updates alike. */
export function deliveryIndexAttributes(d: Pick<Delivery, 'id' | 'endpointId' | 'status' | 'createdAt' | 'updatedAt' | 'nextAttemptAt'>): {
  set: Item;
  remove: string[];
} {
  const created = `${iso(d.createdAt)}#${d.id}`;
  const set: Item = {
    gsi1pk: indexKeys.deliveriesOfEndpoint(d.endpointId),
    gsi1sk: created,
    gsi2pk: indexKeys.deliveriesOfEndpointByStatus(d.endpointId, d.status),
    gsi2sk: created,
  };
  const remove: string[] = [];
  if (!isFinal(d.status) && d.nextAttemptAt !== undefined) {
    set.gsi3pk = indexKeys.due(dueShard(d.id));
    set.gsi3sk = `${iso(d.nextAttemptAt)}#${d.id}`;
  } else if (d.status === 'dead') {
    set.gsi3pk = indexKeys.dead;
    set.gsi3sk = `${iso(d.updatedAt)}#${d.id}`;
  } else {
    remove.push('gsi3pk', 'gsi3sk');
  }
  return { set, remove };
}

export function deliveryToItem(d: Delivery, ttl: number): Item {
  return {
    ...keys.delivery(d.id),
    entity: 'delivery',
    ...d,
    ...deliveryIndexAttributes(d).set,
    [TTL_ATTRIBUTE]: ttl,
  };
}

export function itemToDelivery(item: Item): Delivery {
  return {
    id: item.id as string,
    eventId: item.eventId as string,
    endpointId: item.endpointId as string,
    tenant: (item.tenant as string | undefined) ?? '',
    eventType: item.eventType as string,
    status: item.status as Delivery['status'],
    attemptCount: (item.attemptCount as number | undefined) ?? 0,
    roundStartedAt: item.roundStartedAt as number,
    roundFirstAttempt: (item.roundFirstAttempt as number | undefined) ?? 1,
    ...(item.nextAttemptAt === undefined ? {} : { nextAttemptAt: item.nextAttemptAt as number }),
    ...(item.lastOutcome === undefined ? {} : { lastOutcome: item.lastOutcome as Delivery['lastOutcome'] }),
    ...(item.finalReason === undefined ? {} : { finalReason: item.finalReason as string }),
    createdAt: item.createdAt as number,
    updatedAt: item.updatedAt as number,
  };
}

export function attemptToItem(a: Attempt, ttl: number): Item {
  return { ...keys.attempt(a.deliveryId, a.number), entity: 'attempt', ...a, [TTL_ATTRIBUTE]: ttl };
}

export function itemToAttempt(item: Item): Attempt {
  return {
    deliveryId: item.deliveryId as string,
    number: item.number as number,
    startedAt: item.startedAt as number,
    latencyMs: item.latencyMs as number,
    outcome: item.outcome as Attempt['outcome'],
    ...(item.error === undefined ? {} : { error: item.error as string }),
    ...(item.responseExcerpt === undefined ? {} : { responseExcerpt: item.responseExcerpt as string }),
    next: item.next as Attempt['next'],
  };
}

/** Opaque pagination cursor: base64url of the DynamoDB LastEvaluatedKey. */
export function encodeCursor(lastEvaluatedKey: Item | undefined): string | undefined {
  return lastEvaluatedKey === undefined ? undefined : Buffer.from(JSON.stringify(lastEvaluatedKey)).toString('base64url');
}

/** Decodes a cursor; undefined for a malformed one (callers turn that into a 400). */
export function decodeCursor(cursor: string): Item | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Item) : undefined;
  } catch {
    return undefined;
  }
}
