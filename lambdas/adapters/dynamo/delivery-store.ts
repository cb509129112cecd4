/**
 * The deliver worker's storage on the single table (layout in ./schema.ts).
 *
 * Every state change is a conditional write, so concurrent workers (SQS delivers at least once, and
 * a message may be handled by two invocations at the same time) cannot undo each other's work:
 *
 * - An attempt is one write of the delivery item, its attempts inline: a conditional put for a first
 *   attempt (no item yet), else an update that appends the attempt, conditioned on the attempt count.
 *   That condition records exactly one attempt per number.
 * - A message that may be a duplicate (a redelivery, or one SQS delivered before) first takes a lease
 *   (the claim) for its attempt number; only the holder POSTs, and its commit holds only while the lease
 *   is still its own. A fresh message goes straight to the POST: no lease write on the common path.
 * - Endpoint health uses in-place arithmetic (`SET n = n + :k`), never read-modify-write.
 */
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseDeliveryId } from '../../core/ids';
import { unattemptedDelivery, type Delivery, type Endpoint, type HeraldEvent } from '../../core/model';
import {
  ALERT_SAMPLE_SIZE,
  type AlertWindow,
  type AlertWindowStore,
  type AttemptRecord,
  type ClaimRequest,
  type DeadLetterRegistration,
  type DeliveryStore,
  type DeliveryTransition,
  type LoadedBatch,
  type LoadedDelivery,
  type LoadRequest,
  type WriteResult,
} from '../../ports/delivery-store';
import { writeSubscriptionCopies } from './endpoint-store';
import { batchGet, isConditionFailed } from './table-io';
import {
  alertFlushSortKey,
  attemptToInline,
  deliveryExpiresAt,
  deliveryIndexAttributes,
  deliveryToItem,
  excerptToItem,
  expiresAt,
  indexKeys,
  itemToDelivery,
  itemToEndpoint,
  itemToEvent,
  keys,
  locationOf,
  TTL_ATTRIBUTE,
  type Item,
} from './schema';

export interface DynamoDeliveryStoreOptions {
  readonly tableName: string;
  /** Retention of delivery, excerpt and alert-window items (TTL). */
  readonly retentionDays: number;
  /** Sleep between UnprocessedKeys rounds; tests pass a no-op. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Builds `SET a = :v, ... REMOVE b, ...` with placeholder names and values. */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private counter = 0;

  name(path: string): string {
    return path
      .split('.')
      .map((part) => {
        const placeholder = `#${part.replace(/[^A-Za-z0-9_]/g, '_')}`;
        this.names[placeholder] = part;
        return placeholder;
      })
      .join('.');
  }

  value(value: unknown): string {
    const placeholder = `:v${this.counter++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  update(set: Readonly<Record<string, unknown>>, remove: readonly string[] = [], raw: readonly string[] = []): string {
    const sets = [
      ...Object.entries(set)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${this.name(k)} = ${this.value(v)}`),
      ...raw,
    ];
    const removes = remove.map((k) => this.name(k));
    return [sets.length > 0 ? `SET ${sets.join(', ')}` : '', removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '']
      .filter(Boolean)
      .join(' ');
  }

  /** Names/values for a command, leaving out empty maps (DynamoDB rejects them). */
  params(): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> } {
    return {
      ...(Object.keys(this.names).length > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

/** Fields a claim writes on a delivery that has no item yet, so the item it creates is a whole pending delivery. */
const BASE_FIELDS = ['id', 'eventId', 'endpointId', 'tenant', 'eventType', 'createdAt', 'status', 'attemptCount', 'roundStartedAt', 'roundFirstAttempt', 'updatedAt'] as const;

export class DynamoDeliveryStore implements DeliveryStore, AlertWindowStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: DynamoDeliveryStoreOptions,
  ) {}

  private get table(): string {
    return this.options.tableName;
  }

  async load(requests: readonly LoadRequest[]): Promise<LoadedBatch> {
    const parsed = requests.flatMap((r) => {
      const ids = parseDeliveryId(r.deliveryId);
      return ids === undefined ? [] : [{ ...r, ...ids }];
    });
    // Events and endpoints first, in one round; the deliveries' keys need their event's creation time. An event
    // never changes after its put, so an eventually consistent read (half the read units) is right whenever it
    // finds the event; one it misses (written a moment ago) is read again, strongly consistent. Endpoints change:
    // strongly consistent.
    // A message that carried its event (core/inline-event.ts) needs no read of it.
    const eventKeys = [...new Set(parsed.filter((p) => p.event === undefined).map((p) => p.eventKey))].map((k) => keys.event(k));
    const [eventItems, endpointItems] = await Promise.all([
      batchGet(this.doc, this.table, eventKeys, this.options.sleep, false),
      batchGet(this.doc, this.table, parsed.map((p) => keys.endpoint(p.endpointId)), this.options.sleep),
    ]);
    const found = new Set(eventItems.map((i) => i.pk as string));
    const missed = eventKeys.filter((k) => !found.has(k.pk));
    if (missed.length > 0) eventItems.push(...(await batchGet(this.doc, this.table, missed, this.options.sleep)));
    const events = new Map<string, HeraldEvent>();
    const endpoints = new Map<string, Endpoint>();
    for (const item of eventItems) {
      const event = itemToEvent(item);
      events.set(event.key, event);
    }
    for (const item of endpointItems) {
      const endpoint = itemToEndpoint(item);
      endpoints.set(endpoint.id, endpoint);
    }
    const eventOf = (p: (typeof parsed)[number]) => p.event ?? events.get(p.eventKey);
    const deliveryKeys = parsed.flatMap((p) => {
      const event = eventOf(p);
      return p.readDelivery && event !== undefined ? [keys.delivery({ endpointId: p.endpointId, eventKey: p.eventKey, createdAt: event.createdAt })] : [];
    });
    const stored = new Map<string, Delivery>();
    if (deliveryKeys.length > 0) {
      for (const item of await batchGet(this.doc, this.table, deliveryKeys, this.options.sleep)) {
        const delivery = itemToDelivery(item);
        stored.set(delivery.id, delivery);
      }
    }
    const loaded = new Map<string, LoadedDelivery>();
    for (const p of parsed) {
      const event = eventOf(p);
      const endpoint = endpoints.get(p.endpointId);
      const entry = event?.fanOut.find((f) => f.endpointId === p.endpointId);
      const item = stored.get(p.deliveryId);
      const delivery = item ?? (event !== undefined && entry !== undefined ? unattemptedDelivery(event, entry) : undefined);
      loaded.set(p.deliveryId, {
        stored: item !== undefined,
        ...(delivery === undefined ? {} : { delivery }),
        ...(event === undefined ? {} : { event }),
        ...(endpoint === undefined ? {} : { endpoint }),
      });
    }
    return loaded;
  }

  async claim(request: ClaimRequest): Promise<WriteResult> {
    const { delivery } = request;
    const x = new Expression();
    // On a delivery without an item the claim creates it, pending, with the lease.
    const raw = BASE_FIELDS.map((f) => `${x.name(f)} = if_not_exists(${x.name(f)}, ${x.value(delivery[f])})`);
    raw.push(`${x.name('entity')} = ${x.value('delivery')}`);
    raw.push(`${x.name(TTL_ATTRIBUTE)} = if_not_exists(${x.name(TTL_ATTRIBUTE)}, ${x.value(deliveryExpiresAt(delivery, request.now, this.options.retentionDays))})`);
    const update = x.update({ leaseUntil: request.leaseUntil }, [], raw);
    const expected = request.attempt - 1;
    const claimable = this.claimable(x, expected, request.now);
    const condition = expected === 0 ? `attribute_not_exists(${x.name('pk')}) OR (${claimable})` : claimable;
    return this.conditionalUpdate(keys.delivery(locationOf(delivery)), update, condition, x);
  }

  /** Waiting (pending, retrying or parked), exactly `attemptCount` attempts made, no running lease. */
  private claimable(x: Expression, attemptCount: number, now: number): string {
    const lease = x.name('leaseUntil');
    return (
      `${x.name('attemptCount')} = ${x.value(attemptCount)} AND ${x.name('status')} IN (${x.value('pending')}, ${x.value('retrying')}, ${x.value('parked')}) ` +
      `AND (attribute_not_exists(${lease}) OR ${lease} < ${x.value(now)})`
    );
  }

  async recordAttempt(record: AttemptRecord): Promise<WriteResult> {
    const { attempt, delivery } = record;
    const at = locationOf(delivery);
    const { inline, long } = attemptToInline(attempt);
    const ttl = deliveryExpiresAt(record, record.now, this.options.retentionDays);
    if (long && attempt.responseExcerpt !== undefined) {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: excerptToItem(at, attempt.number, attempt.responseExcerpt, ttl) }));
    }
    const next = this.nextState(record);
    if (!record.stored && record.leaseUntil === undefined) {
      // First attempt of a fresh message: the whole item in one conditional put.
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: deliveryToItem({ ...next, attemptCount: attempt.number }, [inline], record, ttl),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return 'saved';
      } catch (error) {
        if (isConditionFailed(error)) return 'conflict';
        throw error;
      }
    }
    const x = new Expression();
    const { set, remove } = this.transitionAttributes(record, ttl);
    const attempts = x.name('attempts');
    const update = x.update({ ...set, attemptCount: attempt.number }, [...remove, 'leaseUntil'], [
      `${attempts} = list_append(if_not_exists(${attempts}, ${x.value([])}), ${x.value([inline])})`,
    ]);
    const lease = x.name('leaseUntil');
    const held =
      record.leaseUntil === undefined
        ? `(attribute_not_exists(${lease}) OR ${lease} < ${x.value(record.now)})`
        : `${lease} = ${x.value(record.leaseUntil)}`;
    const condition =
      `${x.name('attemptCount')} = ${x.value(attempt.number - 1)} AND ` +
      `${x.name('status')} IN (${x.value('pending')}, ${x.value('retrying')}, ${x.value('parked')}) AND ${held}`;
    return this.conditionalUpdate(keys.delivery(at), update, condition, x);
  }

  async transition(transition: DeliveryTransition): Promise<WriteResult> {
    const ttl = deliveryExpiresAt(transition, transition.now, this.options.retentionDays);
    if (!transition.stored) {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: deliveryToItem(this.nextState(transition), [], transition, ttl),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return 'saved';
      } catch (error) {
        if (isConditionFailed(error)) return 'conflict';
        throw error;
      }
    }
    const x = new Expression();
    const { set, remove } = this.transitionAttributes(transition, ttl);
    const update = x.update(set, remove);
    const condition = this.claimable(x, transition.delivery.attemptCount, transition.now);
    return this.conditionalUpdate(keys.delivery(locationOf(transition.delivery)), update, condition, x);
  }

  /** The delivery in its new state (without its attempts). */
  private nextState(t: DeliveryTransition): Delivery {
    const { nextAttemptAt: _n, finalReason: _f, attempts: _a, lastOutcome: _o, ...rest } = t.delivery;
    return {
      ...rest,
      status: t.status,
      updatedAt: t.now,
      ...(t.nextAttemptAt === undefined ? {} : { nextAttemptAt: t.nextAttemptAt }),
      ...(t.finalReason === undefined ? {} : { finalReason: t.finalReason }),
    };
  }

  /** The attributes a delivery carries in its new state, index attributes and TTL included. */
  private transitionAttributes(t: DeliveryTransition, ttl: number): { set: Record<string, unknown>; remove: string[] } {
    const index = deliveryIndexAttributes(this.nextState(t), t);
    const set: Record<string, unknown> = {
      status: t.status,
      updatedAt: t.now,
      [TTL_ATTRIBUTE]: ttl,
      ...index.set,
      ...(t.nextAttemptAt === undefined ? {} : { nextAttemptAt: t.nextAttemptAt }),
      ...(t.finalReason === undefined ? {} : { finalReason: t.finalReason }),
    };
    const remove = [
      ...index.remove,
      ...(t.nextAttemptAt === undefined ? ['nextAttemptAt'] : []),
      ...(t.finalReason === undefined ? ['finalReason'] : []),
    ];
    return { set, remove };
  }

  private async conditionalUpdate(key: Item, update: string, condition: string, x: Expression): Promise<WriteResult> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: update,
          ConditionExpression: condition,
          ...x.params(),
        }),
      );
      return 'saved';
    } catch (error) {
      if (isConditionFailed(error)) return 'conflict';
      throw error;
    }
  }

  async recordEndpointSuccess(endpointId: string, now: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.endpoint(endpointId),
          UpdateExpression: 'SET #health.#failures = :zero, #health.#lastSuccessAt = :now REMOVE #health.#failingSince',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_type(#health, :map)',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#health': 'health',
            '#failures': 'consecutiveFailures',
            '#lastSuccessAt': 'lastSuccessAt',
            '#failingSince': 'failingSince',
          },
          ExpressionAttributeValues: { ':zero': 0, ':now': now, ':map': 'M' },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // A deleted endpoint stays deleted; one stored without a health map gets a fresh one.
      await this.initHealth(endpointId, { consecutiveFailures: 0, lastSuccessAt: now });
    }
  }

  async recordEndpointFailure(endpointId: string, now: number, count = 1): Promise<Endpoint | undefined> {
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.endpoint(endpointId),
          UpdateExpression:
            'SET #health.#failures = if_not_exists(#health.#failures, :zero) + :one, #health.#lastFailureAt = :now, ' +
            '#health.#failingSince = if_not_exists(#health.#failingSince, :now)',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_type(#health, :map)',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#health': 'health',
            '#failures': 'consecutiveFailures',
            '#lastFailureAt': 'lastFailureAt',
            '#failingSince': 'failingSince',
          },
          ExpressionAttributeValues: { ':zero': 0, ':one': count, ':now': now, ':map': 'M' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return res.Attributes === undefined ? undefined : itemToEndpoint(res.Attributes);
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return this.initHealth(endpointId, { consecutiveFailures: count, lastFailureAt: now, failingSince: now });
    }
  }

  /** Sets a health map on an existing endpoint that has none. */
  private async initHealth(endpointId: string, health: Endpoint['health']): Promise<Endpoint | undefined> {
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.endpoint(endpointId),
          UpdateExpression: 'SET #health = :health',
          ConditionExpression: 'attribute_exists(#pk) AND NOT attribute_type(#health, :map)',
          ExpressionAttributeNames: { '#pk': 'pk', '#health': 'health' },
          ExpressionAttributeValues: { ':health': health, ':map': 'M' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return res.Attributes === undefined ? undefined : itemToEndpoint(res.Attributes);
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  async disableEndpoint(request: { endpointId: string; reason: string; now: number; failingSince?: number }): Promise<boolean> {
    const names: Record<string, string> = { '#pk': 'pk', '#disabled': 'disabled', '#reason': 'disabledReason', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':true': true, ':reason': request.reason, ':now': request.now };
    let condition = 'attribute_exists(#pk) AND (attribute_not_exists(#disabled) OR #disabled <> :true)';
    if (request.failingSince !== undefined) {
      names['#health'] = 'health';
      names['#failingSince'] = 'failingSince';
      values[':failingSince'] = request.failingSince;
      condition += ' AND #health.#failingSince = :failingSince';
    }
    let updated: Endpoint | undefined;
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.endpoint(request.endpointId),
          UpdateExpression: 'SET #disabled = :true, #reason = :reason, #updatedAt = :now',
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      updated = res.Attributes === undefined ? undefined : itemToEndpoint(res.Attributes);
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
    // Publishes stop fanning out to it (a failure here leaves the worker parking its deliveries, as for any disabled endpoint).
    if (updated !== undefined) await writeSubscriptionCopies(this.doc, this.table, updated);
    return true;
  }

  /**
   * One conditional write, and only on a change of state: the endpoint's warning costs no write while it lasts.
   * `updatedAt` is left alone: the mark is Herald's observation, not an edit of the endpoint.
   */
  async markDegraded(request: { endpointId: string; reason: string; now: number }): Promise<boolean> {
    return this.conditionalEndpointUpdate(request.endpointId, 'SET #degraded = :degraded', 'attribute_exists(#pk) AND attribute_not_exists(#degraded)', {
      ':degraded': { since: request.now, reason: request.reason },
    });
  }

  async clearDegraded(endpointId: string): Promise<boolean> {
    return this.conditionalEndpointUpdate(endpointId, 'REMOVE #degraded', 'attribute_exists(#pk) AND attribute_exists(#degraded)');
  }

  private async conditionalEndpointUpdate(endpointId: string, update: string, condition: string, values?: Record<string, unknown>): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.endpoint(endpointId),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#pk': 'pk', '#degraded': 'degraded' },
          ...(values === undefined ? {} : { ExpressionAttributeValues: values }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async registerDeadLetter(request: {
    endpointId: string;
    endpointUrl: string;
    deliveryId: string;
    count?: number;
    now: number;
    windowMs: number;
  }): Promise<DeadLetterRegistration> {
    const key = keys.alertWindow(request.endpointId);
    // A window can end between the steps; three rounds cover any realistic interleaving.
    for (let round = 0; round < 3; round++) {
      const windowEnd = request.now + request.windowMs;
      try {
        const res = await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression:
              'SET #entity = :entity, #endpointId = :endpointId, #endpointUrl = :url, #windowStart = :now, #windowEnd = :end, ' +
              '#suppressed = :zero, #samples = :empty, #flushKey = :flushKey, #ttl = :ttl REMOVE #gsi3pk, #gsi3sk',
            ConditionExpression: 'attribute_not_exists(#pk) OR #windowEnd <= :now',
            ExpressionAttributeNames: {
              '#pk': 'pk',
              '#entity': 'entity',
              '#endpointId': 'endpointId',
              '#endpointUrl': 'endpointUrl',
              '#windowStart': 'windowStart',
              '#windowEnd': 'windowEnd',
              '#suppressed': 'suppressed',
              '#samples': 'sampleDeliveryIds',
              '#flushKey': 'flushKey',
              '#ttl': TTL_ATTRIBUTE,
              '#gsi3pk': 'gsi3pk',
              '#gsi3sk': 'gsi3sk',
            },
            ExpressionAttributeValues: {
              ':entity': 'alert_window',
              ':endpointId': request.endpointId,
              ':url': request.endpointUrl,
              ':now': request.now,
              ':end': windowEnd,
              ':zero': 0,
              ':empty': [],
              ':flushKey': alertFlushSortKey(windowEnd, request.endpointId),
              ':ttl': expiresAt(windowEnd, this.options.retentionDays),
            },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const previous = res.Attributes === undefined ? undefined : itemToAlertWindow(res.Attributes);
        return previous !== undefined && previous.suppressed > 0 ? { kind: 'opened', previous } : { kind: 'opened' };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      // A window is open: count this dead letter in it, keeping it as a sample while there is room.
      for (const withSample of [true, false]) {
        try {
          await this.doc.send(
            new UpdateCommand({
              TableName: this.table,
              Key: key,
              UpdateExpression:
                'SET #suppressed = #suppressed + :one, #gsi3pk = :due, #gsi3sk = #flushKey' +
                (withSample ? ', #samples = list_append(#samples, :id)' : ''),
              ConditionExpression: '#windowEnd > :now' + (withSample ? ' AND size(#samples) < :max' : ''),
              ExpressionAttributeNames: {
                '#suppressed': 'suppressed',
                '#gsi3pk': 'gsi3pk',
                '#gsi3sk': 'gsi3sk',
                '#flushKey': 'flushKey',
                '#windowEnd': 'windowEnd',
                ...(withSample ? { '#samples': 'sampleDeliveryIds' } : {}),
              },
              ExpressionAttributeValues: {
                ':one': request.count ?? 1,
                ':due': indexKeys.alertsToFlush,
                ':now': request.now,
                ...(withSample ? { ':id': [request.deliveryId], ':max': ALERT_SAMPLE_SIZE } : {}),
              },
            }),
          );
          return { kind: 'suppressed' };
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      }
    }
    throw new Error(`could not register a dead letter in the alert window of endpoint ${request.endpointId}`);
  }

  async endedAlertWindows(now: number, limit: number): Promise<AlertWindow[]> {
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi3',
        KeyConditionExpression: '#pk = :pk AND #sk < :now',
        ExpressionAttributeNames: { '#pk': 'gsi3pk', '#sk': 'gsi3sk' },
        // Sort keys are `<ISO windowEnd>#<endpointId>`: everything below the ISO time of now + 1 ms ended at or before now.
        ExpressionAttributeValues: { ':pk': indexKeys.alertsToFlush, ':now': new Date(now + 1).toISOString() },
        Limit: limit,
      }),
    );
    // The index holds keys only (and lags): read the windows themselves.
    const items = await batchGet(this.doc, this.table, (res.Items ?? []).map((k) => ({ pk: k.pk, sk: k.sk })), this.options.sleep);
    return items
      .map(itemToAlertWindow)
      .filter((w) => w.suppressed > 0 && w.windowEnd <= now)
      .sort((a, b) => a.windowEnd - b.windowEnd);
  }

  async closeAlertWindow(window: AlertWindow): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.alertWindow(window.endpointId),
          UpdateExpression: 'SET #suppressed = :zero, #samples = :empty REMOVE #gsi3pk, #gsi3sk',
          ConditionExpression: '#windowEnd = :end AND #suppressed = :count',
          ExpressionAttributeNames: {
            '#suppressed': 'suppressed',
            '#samples': 'sampleDeliveryIds',
            '#gsi3pk': 'gsi3pk',
            '#gsi3sk': 'gsi3sk',
            '#windowEnd': 'windowEnd',
          },
          ExpressionAttributeValues: { ':zero': 0, ':empty': [], ':end': window.windowEnd, ':count': window.suppressed },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}

function itemToAlertWindow(item: Item): AlertWindow {
  return {
    endpointId: item.endpointId as string,
    endpointUrl: (item.endpointUrl as string | undefined) ?? '',
    windowStart: item.windowStart as number,
    windowEnd: item.windowEnd as number,
    suppressed: (item.suppressed as number | undefined) ?? 0,
    sampleDeliveryIds: (item.sampleDeliveryIds as string[] | undefined) ?? [],
  };
}
