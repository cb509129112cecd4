/**
 * The single-table layout: key builders and the mapping between domain records and DynamoDB items
 * (DocumentClient form). Every adapter that touches the table goes through these functions, so the
 * layout is written down exactly once. docs/design-round-4.md explains why it is shaped this way: two
 * write units per first-attempt delivery, one per retry attempt, and no decision taken from an index.
 *
 * | entity        | pk                          | sk                         | index keys (all KEYS_ONLY, sparse)                     |
 * |---------------|-----------------------------|----------------------------|--------------------------------------------------------|
 * | endpoint      | EP#<id>                     | EP                         | gsi1 EPS#<tenant> / <created>#<id>; gsi2 EPS / same     |
 * | subscription  | SUB#<tenant>#<copy>         | <endpointId>               | -                                                      |
 * | event         | EVT#<key>                   | EVT                        | -                                                      |
 * | delivery      | EPD#<endpointId>#<shard>    | <eventCreatedISO>#<key>    | long wait: gsi2 WAIT#<shard> / <dueISO>#<id>; dead: gsi3 DEAD#<shard> / <deadISO>#<id> |
 * | park log      | PARKLOG#<endpointId>#<shard>| <positionISO>#<random>     | -                                                      |
 * | excerpt       | EPD#<endpointId>#<shard>    | <eventCreatedISO>#<key>#X<00001> | -                                                |
 * | alert window  | ALERT#<endpoint>            | ALERT                      | with suppressed dead letters: gsi3 ALERTDUE / <windowEnd>#<endpoint> |
 * | contacts      | TENANT#<tenant>             | CONTACTS                   | -                                                      |
 *
 * A parked delivery is not indexed: its endpoint's park log lists it (one log item per batch that parked, listing
 * that batch's parked deliveries), so parking costs one write of the delivery and a share of one log item, not a
 * delivery write plus an index entry to add and later remove (lambdas/ports/circuit-store.ts has the log's rule).
 *
 * The delivery item holds its attempts inline (`attempts`, short keys), so an attempt is one write of one item.
 * Only a response excerpt longer than {@link INLINE_EXCERPT_BYTES} gets an item of its own.
 *
 * Times are epoch ms numbers in attributes; sort keys use ISO-8601 strings so they order correctly.
 * Every item but an endpoint and its subscriptions carries `expiresAt` (epoch seconds) for TTL retention.
 */
import { DELIVERY_SHARDS, TABLE_SPEC } from '../../../lib/spec';
import { parseCircuit, type Circuit } from '../../core/circuit';
import { keyShard, parseDeliveryId } from '../../core/ids';
import type { Attempt, Delivery, Endpoint, FanOutEntry, HeraldEvent } from '../../core/model';
import { isFinal } from '../../core/model';
import { headerMap } from '../../core/header-map';
import type { Subscription } from '../../ports/endpoint-store';

export type Item = Record<string, unknown>;

export const TTL_ATTRIBUTE = TABLE_SPEC.ttlAttribute;

/** Response excerpts up to this many bytes are stored inline with the attempt; longer ones in an excerpt item. */
export const INLINE_EXCERPT_BYTES = 256;

const iso = (ms: number) => new Date(ms).toISOString();

/** Where a delivery is stored: its endpoint, its event's storage key and its event's creation time. */
export interface DeliveryLocation {
  readonly endpointId: string;
  readonly eventKey: string;
  readonly createdAt: number;
}

export const keys = {
  endpoint: (id: string) => ({ pk: `EP#${id}`, sk: 'EP' }),
  subscription: (tenant: string, copy: number, endpointId: string) => ({ pk: subscriptionPartition(tenant, copy), sk: endpointId }),
  event: (eventKey: string) => ({ pk: `EVT#${eventKey}`, sk: 'EVT' }),
  delivery: (at: DeliveryLocation) => ({
    pk: `EPD#${at.endpointId}#${keyShard(at.eventKey, DELIVERY_SHARDS)}`,
    sk: `${iso(at.createdAt)}#${at.eventKey}`,
  }),
  excerpt: (at: DeliveryLocation, n: number) => {
    const { pk, sk } = keys.delivery(at);
    return { pk, sk: `${sk}#X${String(n).padStart(5, '0')}` };
  },
  alertWindow: (endpointId: string) => ({ pk: `ALERT#${endpointId}`, sk: 'ALERT' }),
  tenantContacts: (tenant: string) => ({ pk: `TENANT#${tenant}`, sk: 'CONTACTS' }),
  /** One park log item: its shard spreads a busy endpoint's log writes over partitions; its sort key orders the log. */
  parkLog: (endpointId: string, shard: number, position: number, unique: string) => ({ pk: parkLogPartition(endpointId, shard), sk: `${iso(position)}#${unique}` }),
} as const;

/** The partition of one shard of an endpoint's park log. */
export function parkLogPartition(endpointId: string, shard: number): string {
  return `PARKLOG#${endpointId}#${shard}`;
}

/** The partition of one copy of a tenant's subscription list. */
export function subscriptionPartition(tenant: string, copy: number): string {
  return `SUB#${tenant}#${copy}`;
}

/** The partition of one shard of an endpoint's deliveries. */
export function deliveryPartition(endpointId: string, shard: number): string {
  return `EPD#${endpointId}#${shard}`;
}

/** GSI partition values used in queries. */
export const indexKeys = {
  endpointsOfTenant: (tenant: string) => `EPS#${tenant}`,
  allEndpoints: 'EPS',
  /** Deliveries waiting for a Scheduler retry (or a recheck), by due time: what the sweep reads. */
  waiting: (shard: number) => `WAIT#${shard}`,
  dead: (shard: number) => `DEAD#${shard}`,
  /** Reserved for issue 11: endpoints whose circuit is not closed, by next probe time. */
  openCircuits: 'OPEN',
  /** Alert windows holding dead letters not yet reported (the deliver worker's coalesced alerts), by window end. */
  alertsToFlush: 'ALERTDUE',
} as const;

/** The location of a delivery from its id and its event's creation time; undefined for a malformed id. */
export function deliveryLocation(deliveryId: string, createdAt: number): DeliveryLocation | undefined {
  const parsed = parseDeliveryId(deliveryId);
  return parsed === undefined ? undefined : { endpointId: parsed.endpointId, eventKey: parsed.eventKey, createdAt };
}

/** The location of a delivery record (whose id is well-formed: the store made it). */
export function locationOf(d: Pick<Delivery, 'id' | 'createdAt'>): DeliveryLocation {
  const at = deliveryLocation(d.id, d.createdAt);
  if (at === undefined) throw new Error(`malformed delivery id ${d.id}`);
  return at;
}

/** Sort key of an alert window in the `alertsToFlush` partition of gsi3: windows order by their end. */
export function alertFlushSortKey(windowEnd: number, endpointId: string): string {
  return `${iso(windowEnd)}#${endpointId}`;
}

/** TTL value (epoch seconds) for a record written at `now` under `retentionDays`. */
export function expiresAt(now: number, retentionDays: number): number {
  return Math.floor(now / 1000) + retentionDays * 86400;
}

/**
 * TTL of a delivery: retention counted from now, or from its next attempt when that is later, so nothing that is
 * still waiting can expire before it is final.
 */
export function deliveryExpiresAt(d: Pick<Delivery, 'nextAttemptAt'>, now: number, retentionDays: number): number {
  return expiresAt(Math.max(now, d.nextAttemptAt ?? now), retentionDays);
}

export function endpointToItem(ep: Endpoint): Item {
  const created = `${iso(ep.createdAt)}#${ep.id}`;
  return {
    ...keys.endpoint(ep.id),
    gsi1pk: indexKeys.endpointsOfTenant(ep.tenant),
    gsi1sk: created,
    gsi2pk: indexKeys.allEndpoints,
    gsi2sk: created,
    entity: 'endpoint',
    ...ep,
    ...(ep.circuit === undefined ? {} : { circuit: JSON.stringify(ep.circuit) }),
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
    ...(item.circuitBreaker === undefined ? {} : { circuitBreaker: item.circuitBreaker as NonNullable<Endpoint['circuitBreaker']> }),
    ...(typeof item.rateLimitPerSecond === 'number' ? { rateLimitPerSecond: item.rateLimitPerSecond } : {}),
    ...(typeof item.circuit === 'string' ? { circuit: parseStoredCircuit(item.circuit) } : {}),
    ...(item.degraded === undefined ? {} : { degraded: item.degraded as NonNullable<Endpoint['degraded']> }),
    ...(item.contacts === undefined ? {} : { contacts: item.contacts as NonNullable<Endpoint['contacts']> }),
    createdAt: item.createdAt as number,
    updatedAt: item.updatedAt as number,
  };
}

/** The circuit as stored: JSON text, so a conditional write can compare it exactly (lambdas/adapters/dynamo/circuit-store.ts). */
export function parseStoredCircuit(text: string): Circuit {
  try {
    return parseCircuit(JSON.parse(text));
  } catch {
    return parseCircuit(undefined);
  }
}

export function subscriptionToItem(ep: Pick<Endpoint, 'id' | 'tenant' | 'eventTypes' | 'disabled' | 'createdAt'>, copy: number): Item {
  return { ...keys.subscription(ep.tenant, copy, ep.id), entity: 'subscription', t: ep.eventTypes, d: ep.disabled, c: ep.createdAt };
}

export function itemToSubscription(item: Item): Subscription {
  return {
    endpointId: item.sk as string,
    eventTypes: (item.t as string[] | undefined) ?? ['*'],
    disabled: Boolean(item.d),
    createdAt: (item.c as number | undefined) ?? 0,
  };
}

export function eventToItem(ev: HeraldEvent, ttl: number): Item {
  return {
    ...keys.event(ev.key),
    entity: 'event',
    id: ev.id,
    type: ev.type,
    tenant: ev.tenant,
    createdAt: ev.createdAt,
    // Stored as JSON text: keeps the payload byte-exact (numbers, empty strings, key order).
    dataJson: JSON.stringify(ev.data),
    fp: ev.fingerprint,
    // Short names: this list is written with every event.
    fo: ev.fanOut.map((f) => (f.skipped ? { e: f.endpointId, s: 1 } : { e: f.endpointId })),
    ...(ev.idempotencyKey === undefined ? {} : { idempotencyKey: ev.idempotencyKey }),
    ...(ev.params === undefined ? {} : { paramsJson: JSON.stringify(ev.params) }),
    ...(ev.errors === undefined ? {} : { errorsJson: JSON.stringify(ev.errors) }),
    [TTL_ATTRIBUTE]: ttl,
  };
}

export function itemToEvent(item: Item): HeraldEvent {
  const pk = item.pk as string;
  return {
    id: item.id as string,
    key: pk.slice('EVT#'.length),
    type: item.type as string,
    tenant: (item.tenant as string | undefined) ?? '',
    data: JSON.parse(item.dataJson as string) as unknown,
    ...(item.paramsJson === undefined ? {} : { params: JSON.parse(item.paramsJson as string) as HeraldEvent['params'] }),
    ...(item.errorsJson === undefined ? {} : { errors: JSON.parse(item.errorsJson as string) as HeraldEvent['errors'] }),
    createdAt: item.createdAt as number,
    ...(item.idempotencyKey === undefined ? {} : { idempotencyKey: item.idempotencyKey as string }),
    fingerprint: (item.fp as string | undefined) ?? '',
    fanOut: ((item.fo as { e: string; s?: number }[] | undefined) ?? []).map((f): FanOutEntry =>
      f.s === 1 ? { endpointId: f.e, skipped: true } : { endpointId: f.e },
    ),
  };
}

/** Where a delivery waits, for its index keys: a Scheduler retry or a recheck is a long wait (the sweep's WAIT index). */
export interface IndexPlacement {
  /** The next attempt waits in the Scheduler (or for a recheck): indexed under WAIT# so the sweep finds it if lost. */
  readonly longWait: boolean;
}

/**
 * The index attributes a delivery carries in its state: a long wait under `WAIT#<shard>` by due time, a dead one
 * under `DEAD#<shard>` by time of death; nothing else is indexed (a parked one is in its endpoint's park log), so an
 * ordinary attempt never writes an index.
 */
export function deliveryIndexAttributes(
  d: Pick<Delivery, 'id' | 'endpointId' | 'status' | 'createdAt' | 'updatedAt' | 'nextAttemptAt'>,
  placement: IndexPlacement,
): { set: Item; remove: string[] } {
  const shard = keyShard(parseDeliveryId(d.id)?.eventKey ?? d.id, DELIVERY_SHARDS);
  const set: Item = {};
  const remove: string[] = [];
  if (!isFinal(d.status) && d.nextAttemptAt !== undefined && placement.longWait) {
    set.gsi2pk = indexKeys.waiting(shard);
    set.gsi2sk = `${iso(d.nextAttemptAt)}#${d.id}`;
  } else {
    remove.push('gsi2pk', 'gsi2sk');
  }
  if (d.status === 'dead') {
    set.gsi3pk = indexKeys.dead(shard);
    set.gsi3sk = `${iso(d.updatedAt)}#${d.id}`;
  } else {
    remove.push('gsi3pk', 'gsi3sk');
  }
  return { set, remove };
}

/** An attempt as stored inline in its delivery item (short attribute names: they are written on every attempt). */
export interface InlineAttempt {
  readonly n: number;
  readonly at: number;
  readonly ms: number;
  readonly o: Attempt['outcome'];
  readonly e?: string;
  /** The excerpt, when it fits inline. */
  readonly x?: string;
  /** The excerpt is longer: its first {@link INLINE_EXCERPT_BYTES} bytes are in `x`, the rest in an excerpt item. */
  readonly xl?: true;
  readonly next: Attempt['next'];
}

/** The first `max` bytes of a string, cut on a character boundary. */
export function utf8Prefix(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) return text;
  let out = Buffer.from(text, 'utf8').subarray(0, max).toString('utf8');
  // A cut multi-byte character decodes to U+FFFD at the end; drop it.
  while (out.endsWith('\uFFFD')) out = out.slice(0, -1);
  return out;
}

/** An attempt in its inline form; `long` tells the caller to store the full excerpt in an excerpt item. */
export function attemptToInline(a: Attempt): { inline: InlineAttempt; long: boolean } {
  const excerpt = a.responseExcerpt;
  const long = excerpt !== undefined && Buffer.byteLength(excerpt, 'utf8') > INLINE_EXCERPT_BYTES;
  const inline: InlineAttempt = {
    n: a.number,
    at: a.startedAt,
    ms: a.latencyMs,
    o: a.outcome,
    ...(a.error === undefined ? {} : { e: a.error }),
    ...(excerpt === undefined ? {} : { x: long ? utf8Prefix(excerpt, INLINE_EXCERPT_BYTES) : excerpt }),
    ...(long ? { xl: true as const } : {}),
    next: a.next,
  };
  return { inline, long };
}

export function inlineToAttempt(deliveryId: string, a: InlineAttempt, fullExcerpt?: string): Attempt {
  const excerpt = fullExcerpt ?? a.x;
  return {
    deliveryId,
    number: a.n,
    startedAt: a.at,
    latencyMs: a.ms,
    outcome: a.o,
    ...(a.e === undefined ? {} : { error: a.e }),
    ...(excerpt === undefined ? {} : { responseExcerpt: excerpt }),
    next: a.next,
  };
}

export function excerptToItem(at: DeliveryLocation, n: number, excerpt: string, ttl: number): Item {
  return { ...keys.excerpt(at, n), entity: 'excerpt', x: excerpt, [TTL_ATTRIBUTE]: ttl };
}

/** The attempt number of an excerpt item's sort key, or undefined for another item. */
export function excerptNumber(sk: string): number | undefined {
  const match = /#X(\d{5})$/.exec(sk);
  return match === null ? undefined : Number(match[1]);
}

/** Domain fields stored on a delivery item (the attempts and keys are written separately). */
export const DELIVERY_FIELDS = [
  'id',
  'eventId',
  'endpointId',
  'tenant',
  'eventType',
  'status',
  'attemptCount',
  'roundStartedAt',
  'roundFirstAttempt',
  'nextAttemptAt',
  'finalReason',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof Delivery)[];

/** A full delivery item, with `attempts` inline and the index keys of its state. */
export function deliveryToItem(d: Delivery, attempts: readonly InlineAttempt[], placement: IndexPlacement, ttl: number): Item {
  const item: Item = { ...keys.delivery(locationOf(d)), entity: 'delivery' };
  for (const field of DELIVERY_FIELDS) if (d[field] !== undefined) item[field] = d[field];
  item.attempts = attempts;
  Object.assign(item, deliveryIndexAttributes(d, placement).set);
  item[TTL_ATTRIBUTE] = ttl;
  return item;
}

/** A delivery item (and the full excerpts of its long ones, by attempt number) as a delivery with its attempts. */
export function itemToDelivery(item: Item, excerpts?: ReadonlyMap<number, string>): Delivery {
  const id = item.id as string;
  const attempts = ((item.attempts as InlineAttempt[] | undefined) ?? [])
    .map((a) => inlineToAttempt(id, a, excerpts?.get(a.n)))
    .sort((a, b) => a.number - b.number);
  const last = attempts[attempts.length - 1];
  return {
    id,
    eventId: item.eventId as string,
    endpointId: item.endpointId as string,
    tenant: (item.tenant as string | undefined) ?? '',
    eventType: item.eventType as string,
    status: item.status as Delivery['status'],
    attemptCount: (item.attemptCount as number | undefined) ?? 0,
    roundStartedAt: item.roundStartedAt as number,
    roundFirstAttempt: (item.roundFirstAttempt as number | undefined) ?? 1,
    ...(item.nextAttemptAt === undefined ? {} : { nextAttemptAt: item.nextAttemptAt as number }),
    ...(last === undefined ? {} : { lastOutcome: last.outcome }),
    ...(item.finalReason === undefined ? {} : { finalReason: item.finalReason as string }),
    createdAt: item.createdAt as number,
    updatedAt: item.updatedAt as number,
    attempts,
  };
}

/**
 * The bytes DynamoDB counts for an item (attribute names plus values, numbers as stored), close enough to check an
 * item against the 400 KB limit before writing it. Strings and names count their UTF-8 bytes; a number counts
 * about one byte per two significant digits plus one; maps and lists three bytes plus one per element.
 */
export function itemBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/[.e+-]/g, '').replace(/^0+/, '').length / 2) + 1;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + itemBytes(v) + 1, 3);
  if (typeof value === 'object') {
    return Object.entries(value as Item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k, 'utf8') + itemBytes(v) + 1, 3);
  }
  return 8;
}

/** Opaque pagination cursor: base64url of a JSON object. */
export function encodeCursor(position: Item | undefined): string | undefined {
  return position === undefined ? undefined : Buffer.from(JSON.stringify(position)).toString('base64url');
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
