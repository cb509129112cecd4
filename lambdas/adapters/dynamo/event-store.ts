/**
 * EventStore on the DynamoDB single table (layout in ./schema.ts): events, idempotency records,
 * deliveries and their attempts.
 */
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { UpdateExpression } from './update-expression';
import { HeraldError, UnavailableError, ValidationError } from '../../core/errors';
import type { Attempt, Delivery, DeliveryStatus, HeraldEvent } from '../../core/model';
import type { Page, PageRequest } from '../../ports/endpoint-store';
import type { ClaimResult, EventStore, FanOutEntry, IdempotencyRecord, PutEventResult, TransitionOptions } from '../../ports/event-store';
import {
  ATTEMPT_SK_PREFIX,
  TTL_ATTRIBUTE,
  decodeCursor,
  deliveryIndexAttributes,
  deliveryToItem,
  encodeCursor,
  eventToItem,
  expiresAt,
  indexKeys,
  itemToAttempt,
  itemToDelivery,
  itemToEvent,
  keys,
  type Item,
} from './schema';

/** Deliveries written at once while fanning out (each is its own conditional put). */
const WRITE_CONCURRENCY = 16;
const BATCH_GET_SIZE = 100;
const BATCH_GET_ROUNDS = 8;

/** The message of the 503 a failed read or write turns into (publish uses its own, naming the Idempotency-Key). */
const STORE_UNAVAILABLE = 'the Herald store is unavailable; retry the request';

/**
 * Runs a store call and turns an SDK failure into an UnavailableError (503) that keeps the original as its
 * `cause` for the logs. HeraldErrors (a bad cursor, a conflict) pass through unchanged.
 */
export async function storeCall<T>(fn: () => Promise<T>, message = STORE_UNAVAILABLE): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof HeraldError) throw error;
    const unavailable = new UnavailableError(message);
    unavailable.cause = error;
    throw unavailable;
  }
}

/** Whether an SDK error is the failure of a ConditionExpression (an expected answer, not an outage). */
export function isConditionFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/** Runs `fn` over `items` with at most `limit` calls in flight; rejects with the first failure after all settle. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

/**
 * Decodes a list cursor and checks that it belongs to the list being read (same index, same partition), so a
 * tampered or foreign cursor is a 400 instead of a DynamoDB validation failure.
 */
export function decodeListCursor(cursor: string | undefined, indexPk: string, indexSk: string, partition: string): Item | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor);
  const expected = ['pk', 'sk', indexPk, indexSk].sort();
  const valid =
    key !== undefined &&
    Object.keys(key).sort().join() === expected.join() &&
    Object.values(key).every((v) => typeof v === 'string' && v.length > 0 && v.length <= 1024) &&
    key[indexPk] === partition;
  if (!valid) throw new ValidationError('invalid cursor', [{ path: 'cursor', message: 'is not a cursor of this list' }]);
  return key;
}

function pageOf<T>(items: T[], lastEvaluatedKey: Item | undefined): Page<T> {
  const nextCursor = encodeCursor(lastEvaluatedKey);
  return nextCursor === undefined ? { items } : { items, nextCursor };
}

/**
 * One page of a GSI partition (`<index>pk = partition`), newest first unless `ascending`, with the opaque cursor
 * of the list (a cursor of another list is a 400). Every paginated list of the API goes through here.
 */
export async function queryIndexPage<T>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  index: 'gsi1' | 'gsi2' | 'gsi3',
  partition: string,
  page: PageRequest,
  ascending: boolean,
  map: (item: Item) => T,
): Promise<Page<T>> {
  const out = await doc.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: index,
      KeyConditionExpression: `${index}pk = :p`,
      ExpressionAttributeValues: { ':p': partition },
      ScanIndexForward: ascending,
      Limit: page.limit,
      ExclusiveStartKey: decodeListCursor(page.cursor, `${index}pk`, `${index}sk`, partition),
    }),
  );
  return pageOf((out.Items ?? []).map(map), out.LastEvaluatedKey);
}

const IDEM_FIELDS = ['state', 'bodyHash', 'eventId', 'createdAt', 'fanOut'] as const;

function itemToIdempotency(item: Item): IdempotencyRecord {
  return {
    key: item.key as string,
    state: item.state as IdempotencyRecord['state'],
    bodyHash: item.bodyHash as string,
    eventId: item.eventId as string,
    createdAt: item.createdAt as number,
    fanOut: (item.fanOut as FanOutEntry[] | undefined) ?? [],
  };
}

/** Domain fields of a delivery that a transition may set or remove (keys and `id` never change). */
const DELIVERY_FIELDS = [
  'eventId',
  'endpointId',
  'tenant',
  'eventType',
  'status',
  'attemptCount',
  'roundStartedAt',
  'roundFirstAttempt',
  'nextAttemptAt',
  'lastOutcome',
  'finalReason',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof Delivery)[];

export class DynamoEventStore implements EventStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Every record written here expires this many days after it was created (or last redelivered). */
    private readonly retentionDays: number,
  ) {}

  claimIdempotency(record: IdempotencyRecord): Promise<ClaimResult> {
    return storeCall(async () => {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...keys.idempotency(record.key),
              entity: 'idempotency',
              key: record.key,
              ...Object.fromEntries(IDEM_FIELDS.map((f) => [f, record[f]])),
              [TTL_ATTRIBUTE]: expiresAt(record.createdAt, this.retentionDays),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return { claimed: true };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      // dynalite ignores ReturnValuesOnConditionCheckFailure, so read the holder of the key.
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: keys.idempotency(record.key), ConsistentRead: true }),
      );
      if (out.Item === undefined) {
        // Expired (TTL) between the two calls: extremely unlikely; the client's retry claims it afresh.
        throw new Error('idempotency record vanished after a failed claim');
      }
      return { claimed: false, existing: itemToIdempotency(out.Item) };
    });
  }

  completeIdempotency(key: string): Promise<void> {
    return storeCall(async () => {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.idempotency(key),
          UpdateExpression: 'SET #state = :complete',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':complete': 'complete' },
        }),
      );
    });
  }

  createDeliveries(deliveries: readonly Delivery[]): Promise<void> {
    return storeCall(() =>
      forEachLimited(deliveries, WRITE_CONCURRENCY, async (d) => {
        try {
          await this.doc.send(
            new PutCommand({
              TableName: this.tableName,
              Item: deliveryToItem(d, expiresAt(d.createdAt, this.retentionDays)),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
        } catch (error) {
          // Written by an earlier attempt of the same request: keep it (the worker may have moved it on).
          if (!isConditionFailed(error)) throw error;
        }
      }),
    );
  }

  createEvent(event: HeraldEvent): Promise<PutEventResult> {
    return storeCall(async () => {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: eventToItem(event, expiresAt(event.createdAt, this.retentionDays)),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return { created: true };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const existing = await this.readEvent(event.id);
      if (existing === undefined) throw new Error('event vanished after a failed conditional put');
      return { created: false, existing };
    });
  }

  getEvent(id: string): Promise<HeraldEvent | undefined> {
    return storeCall(() => this.readEvent(id));
  }

  getDelivery(id: string): Promise<Delivery | undefined> {
    return storeCall(async () => {
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.delivery(id), ConsistentRead: true }));
      return out.Item === undefined ? undefined : itemToDelivery(out.Item);
    });
  }

  getDeliveries(ids: readonly string[]): Promise<Delivery[]> {
    return storeCall(async () => {
      const found = new Map<string, Delivery>();
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += BATCH_GET_SIZE) {
        let requestKeys: Item[] = unique.slice(i, i + BATCH_GET_SIZE).map((id) => keys.delivery(id));
        for (let round = 0; requestKeys.length > 0; round++) {
          if (round === BATCH_GET_ROUNDS) throw new Error('DynamoDB left keys unprocessed in every BatchGetItem round');
          if (round > 0) await sleep(25 * 2 ** round);
          const out = await this.doc.send(
            new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: requestKeys, ConsistentRead: true } } }),
          );
          for (const item of out.Responses?.[this.tableName] ?? []) {
            const d = itemToDelivery(item);
            found.set(d.id, d);
          }
          requestKeys = (out.UnprocessedKeys?.[this.tableName]?.Keys as Item[] | undefined) ?? [];
        }
      }
      return ids.flatMap((id) => {
        const d = found.get(id);
        return d === undefined ? [] : [d];
      });
    });
  }

  getDeliveryWithAttempts(id: string): Promise<{ delivery: Delivery; attempts: Attempt[] } | undefined> {
    return storeCall(async () => {
      const items = await this.queryAll({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.delivery(id).pk },
        ConsistentRead: true,
      });
      let delivery: Delivery | undefined;
      const attempts: Attempt[] = [];
      for (const item of items) {
        if (item.sk === keys.delivery(id).sk) delivery = itemToDelivery(item);
        else if (typeof item.sk === 'string' && item.sk.startsWith(ATTEMPT_SK_PREFIX)) attempts.push(itemToAttempt(item));
      }
      attempts.sort((a, b) => a.number - b.number);
      return delivery === undefined ? undefined : { delivery, attempts };
    });
  }

  listDeliveriesOfEndpoint(
    query: PageRequest & { readonly endpointId: string; readonly status?: DeliveryStatus },
  ): Promise<Page<Delivery>> {
    const [index, partition] =
      query.status === undefined
        ? (['gsi1', indexKeys.deliveriesOfEndpoint(query.endpointId)] as const)
        : (['gsi2', indexKeys.deliveriesOfEndpointByStatus(query.endpointId, query.status)] as const);
    return this.listPage(index, partition, query, false);
  }

  listAllDeliveriesOfEndpoint(endpointId: string, status: DeliveryStatus, since?: number): Promise<Delivery[]> {
    return storeCall(async () => {
      const partition = indexKeys.deliveriesOfEndpointByStatus(endpointId, status);
      const items = await this.queryAll({
        TableName: this.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: since === undefined ? 'gsi2pk = :p' : 'gsi2pk = :p AND gsi2sk >= :since',
        ExpressionAttributeValues: {
          ':p': partition,
          ...(since === undefined ? {} : { ':since': new Date(since).toISOString() }),
        },
      });
      return items.map(itemToDelivery);
    });
  }

  listDeadDeliveries(query: PageRequest): Promise<Page<Delivery>> {
    return this.listPage('gsi3', indexKeys.dead, query, false);
  }

  listDue(shard: number, dueBefore: number, limit: number, cursor?: string): Promise<Page<Delivery>> {
    return storeCall(async () => {
      const partition = indexKeys.due(shard);
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi3',
          KeyConditionExpression: 'gsi3pk = :p AND gsi3sk < :before',
          ExpressionAttributeValues: { ':p': partition, ':before': new Date(dueBefore).toISOString() },
          Limit: limit,
          ExclusiveStartKey: decodeListCursor(cursor, 'gsi3pk', 'gsi3sk', partition),
        }),
      );
      return pageOf((out.Items ?? []).map(itemToDelivery), out.LastEvaluatedKey);
    });
  }

  transition(current: Delivery, next: Delivery, options: TransitionOptions = {}): Promise<boolean> {
    return storeCall(async () => {
      const update = new UpdateExpression();
      const { names, values } = update;
      for (const field of DELIVERY_FIELDS) {
        const before = current[field];
        const after = next[field];
        if (after === undefined) {
          if (before !== undefined) update.remove(field);
        } else if (JSON.stringify(after) !== JSON.stringify(before)) {
          update.set(field, after);
        }
      }
      const index = deliveryIndexAttributes(next);
      for (const [attribute, value] of Object.entries(index.set)) update.set(attribute, value);
      for (const attribute of index.remove) update.remove(attribute);
      update.set(TTL_ATTRIBUTE, expiresAt(Math.max(next.createdAt, next.updatedAt), this.retentionDays));

      names['#status'] = 'status';
      names['#attemptCount'] = 'attemptCount';
      names['#nextAttemptAt'] = 'nextAttemptAt';
      values[':cStatus'] = current.status;
      values[':cAttempts'] = current.attemptCount;
      const attemptsCondition =
        current.attemptCount === 0
          ? '(#attemptCount = :cAttempts OR attribute_not_exists(#attemptCount))'
          : '#attemptCount = :cAttempts';
      let nextCondition = 'attribute_not_exists(#nextAttemptAt)';
      if (current.nextAttemptAt !== undefined) {
        values[':cNext'] = current.nextAttemptAt;
        nextCondition = '#nextAttemptAt = :cNext';
      }
      let leaseCondition = '';
      if (options.notLeasedAt !== undefined) {
        // The deliver worker's claim (leaseUntil) marks an attempt in flight.
        names['#leaseUntil'] = 'leaseUntil';
        values[':leaseFree'] = options.notLeasedAt;
        leaseCondition = ' AND (attribute_not_exists(#leaseUntil) OR #leaseUntil < :leaseFree)';
      }
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.delivery(current.id),
            UpdateExpression: update.toString(),
            ConditionExpression: `attribute_exists(pk) AND #status = :cStatus AND ${attemptsCondition} AND ${nextCondition}${leaseCondition}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailed(error)) return false;
        throw error;
      }
    });
  }

  private async readEvent(id: string): Promise<HeraldEvent | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.event(id), ConsistentRead: true }));
    return out.Item === undefined ? undefined : itemToEvent(out.Item);
  }

  private listPage(index: 'gsi1' | 'gsi2' | 'gsi3', partition: string, page: PageRequest, ascending: boolean): Promise<Page<Delivery>> {
    return storeCall(() => queryIndexPage(this.doc, this.tableName, index, partition, page, ascending, itemToDelivery));
  }

  private async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
