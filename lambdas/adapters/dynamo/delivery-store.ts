/**
 * The deliver worker's storage on the single table (layout in ./schema.ts).
 *
 * Every state change is a conditional write, so concurrent workers (SQS delivers at least once, and
 * a message may be handled by two invocations at the same time) cannot undo each other's work:
 *
 * - The claim takes a lease on the delivery for one attempt number; only the holder may POST.
 * - The attempt is recorded in two writes, because the local DynamoDB emulator (dynalite) has no
 *   TransactWriteItems and local mode must run this same code: first the attempt item, which carries
 *   the lease it was made under and may only replace an attempt item of an older lease (an orphan
 *   of a worker that crashed before its second write); then the delivery, conditioned on still
 *   holding the lease and on the attempt count. The delivery update is the commit point. A worker
 *   that loses its lease between the two writes removes its attempt item again.
 * - Endpoint health uses in-place arithmetic (`SET n = n + 1`), never read-modify-write.
 */
import {
  BatchGetCommand,
  DeleteCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Delivery, Endpoint, HeraldEvent } from '../../core/model';
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
  type WriteResult,
} from '../../ports/delivery-store';
import {
  alertFlushSortKey,
  attemptToItem,
  deliveryIndexAttributes,
  expiresAt,
  indexKeys,
  itemToDelivery,
  itemToEndpoint,
  itemToEvent,
  keys,
  TTL_ATTRIBUTE,
  type Item,
} from './schema';

/** BatchGetItem takes at most 100 keys per request. */
const BATCH_GET_LIMIT = 100;
/** Rounds of re-requesting UnprocessedKeys before giving up (with exponential backoff between). */
const UNPROCESSED_ROUNDS = 8;

export interface DynamoDeliveryStoreOptions {
  readonly tableName: string;
  /** Retention of attempt and alert-window items (TTL). */
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

  update(set: Readonly<Record<string, unknown>>, remove: readonly string[] = []): string {
    const sets = Object.entries(set)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${this.name(k)} = ${this.value(v)}`);
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

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

export class DynamoDeliveryStore implements DeliveryStore, AlertWindowStore {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: DynamoDeliveryStoreOptions,
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private get table(): string {
    return this.options.tableName;
  }

  async load(deliveryIds: readonly string[]): Promise<LoadedBatch> {
    const deliveryItems = await this.batchGet([...new Set(deliveryIds)].map((id) => keys.delivery(id)));
    const deliveries = new Map<string, Delivery>();
    for (const item of deliveryItems) {
      const delivery = itemToDelivery(item);
      deliveries.set(delivery.id, delivery);
    }
    const endpointIds = new Set([...deliveries.values()].map((d) => d.endpointId));
    const eventIds = new Set([...deliveries.values()].map((d) => d.eventId));
    const related = await this.batchGet([
      ...[...endpointIds].map((id) => keys.endpoint(id)),
      ...[...eventIds].map((id) => keys.event(id)),
    ]);
    const endpoints = new Map<string, Endpoint>();
    const events = new Map<string, HeraldEvent>();
    for (const item of related) {
      if (item.sk === 'EP') {
        const endpoint = itemToEndpoint(item);
        endpoints.set(endpoint.id, endpoint);
      } else {
        const event = itemToEvent(item);
        events.set(event.id, event);
      }
    }
    return { deliveries, endpoints, events };
  }

  /** Strongly consistent BatchGetItem over any number of distinct keys, re-requesting UnprocessedKeys. */
  private async batchGet(keyList: readonly Item[]): Promise<Item[]> {
    const out: Item[] = [];
    for (let i = 0; i < keyList.length; i += BATCH_GET_LIMIT) {
      let pending: Item[] = keyList.slice(i, i + BATCH_GET_LIMIT);
      for (let round = 0; pending.length > 0; round++) {
        if (round >= UNPROCESSED_ROUNDS) {
          throw new Error(`DynamoDB left ${pending.length} key(s) unprocessed after ${UNPROCESSED_ROUNDS} rounds`);
        }
        if (round > 0) await this.sleep(Math.min(1000, 25 * 2 ** round));
        const res = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
        );
        out.push(...((res.Responses?.[this.table] ?? []) as Item[]));
        pending = (res.UnprocessedKeys?.[this.table]?.Keys ?? []) as Item[];
      }
    }
    return out;
  }

  async claim(request: ClaimRequest): Promise<WriteResult> {
    const x = new Expression();
    const update = x.update({ leaseUntil: request.leaseUntil });
    const condition = this.claimable(x, request.attempt - 1, request.now);
    return this.conditionalUpdate(keys.delivery(request.deliveryId), update, condition, x);
  }

  /** Not final, exactly `attemptCount` attempts made, no running lease. */
  private claimable(x: Expression, attemptCount: number, now: number): string {
    const count = x.name('attemptCount');
    const counted =
      attemptCount === 0
        ? `(attribute_not_exists(${count}) OR ${count} = ${x.value(0)})`
        : `${count} = ${x.value(attemptCount)}`;
    const status = x.name('status');
    const lease = x.name('leaseUntil');
    return (
      `attribute_exists(${x.name('pk')}) AND ${counted} AND ${status} IN (${x.value('pending')}, ${x.value('retrying')}) ` +
      `AND (attribute_not_exists(${lease}) OR ${lease} < ${x.value(now)})`
    );
  }

  async recordAttempt(record: AttemptRecord): Promise<WriteResult> {
    const { attempt, leaseUntil } = record;
    const attemptKey = keys.attempt(attempt.deliveryId, attempt.number);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...attemptToItem(attempt, expiresAt(record.now, this.options.retentionDays)), leaseUntil },
          ConditionExpression: 'attribute_not_exists(#pk) OR #leaseUntil < :lease',
          ExpressionAttributeNames: { '#pk': 'pk', '#leaseUntil': 'leaseUntil' },
          ExpressionAttributeValues: { ':lease': leaseUntil },
        }),
      );
    } catch (error) {
      // A worker with a newer lease already recorded this attempt number: ours is not the attempt.
      if (isConditionFailure(error)) return 'conflict';
      throw error;
    }

    const x = new Expression();
    const { set, remove } = this.transitionAttributes(record);
    const update = x.update({ ...set, attemptCount: attempt.number, lastOutcome: attempt.outcome }, [...remove, 'leaseUntil']);
    const condition = `${x.name('leaseUntil')} = ${x.value(leaseUntil)} AND ${x.name('attemptCount')} = ${x.value(attempt.number - 1)}`;
    const result = await this.conditionalUpdate(keys.delivery(attempt.deliveryId), update, condition, x);
    if (result === 'conflict') {
      try {
        await this.doc.send(
          new DeleteCommand({
            TableName: this.table,
            Key: attemptKey,
            ConditionExpression: '#leaseUntil = :lease',
            ExpressionAttributeNames: { '#leaseUntil': 'leaseUntil' },
            ExpressionAttributeValues: { ':lease': leaseUntil },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return result;
  }

  async transition(transition: DeliveryTransition): Promise<WriteResult> {
    const x = new Expression();
    const { set, remove } = this.transitionAttributes(transition);
    const update = x.update(set, remove);
    const condition = this.claimable(x, transition.delivery.attemptCount, transition.now);
    return this.conditionalUpdate(keys.delivery(transition.delivery.id), update, condition, x);
  }

  /** The attributes a delivery carries in its new state, index attributes included. */
  private transitionAttributes(t: DeliveryTransition): { set: Record<string, unknown>; remove: string[] } {
    const next = { ...t.delivery, status: t.status, updatedAt: t.now, nextAttemptAt: t.nextAttemptAt };
    const index = deliveryIndexAttributes(next);
    const set: Record<string, unknown> = {
      status: t.status,
      updatedAt: t.now,
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
      if (isConditionFailure(error)) return 'conflict';
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
      if (!isConditionFailure(error)) throw error;
      // A deleted endpoint stays deleted; one stored without a health map gets a fresh one.
      await this.initHealth(endpointId, { consecutiveFailures: 0, lastSuccessAt: now });
    }
  }

  async recordEndpointFailure(endpointId: string, now: number): Promise<Endpoint | undefined> {
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
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': now, ':map': 'M' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return res.Attributes === undefined ? undefined : itemToEndpoint(res.Attributes);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return this.initHealth(endpointId, { consecutiveFailures: 1, lastFailureAt: now, failingSince: now });
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
      if (isConditionFailure(error)) return undefined;
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
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.endpoint(request.endpointId),
          UpdateExpression: 'SET #disabled = :true, #reason = :reason, #updatedAt = :now',
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async registerDeadLetter(request: {
    endpointId: string;
    endpointUrl: string;
    deliveryId: string;
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
        if (!isConditionFailure(error)) throw error;
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
                ':one': 1,
                ':due': indexKeys.alertsToFlush,
                ':now': request.now,
                ...(withSample ? { ':id': [request.deliveryId], ':max': ALERT_SAMPLE_SIZE } : {}),
              },
            }),
          );
          return { kind: 'suppressed' };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
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
    return (res.Items ?? []).map(itemToAlertWindow).filter((w) => w.suppressed > 0 && w.windowEnd <= now);
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
      if (isConditionFailure(error)) return false;
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
