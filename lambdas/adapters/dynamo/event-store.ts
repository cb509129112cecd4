/**
 * EventStore on the DynamoDB single table (layout in ./schema.ts): events, and deliveries as the API and the sweep
 * see them.
 *
 * A delivery's item lives in one of its endpoint's DELIVERY_SHARDS partitions, under its event's creation time, so
 * an endpoint's list is a strongly consistent Query per shard, merged newest first. A delivery that has no item yet
 * (never attempted) reads as `pending` from its event's fan-out.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DELIVERY_SHARDS } from '../../../lib/spec';
import { PayloadTooLargeError } from '../../core/errors';
import { deliveryId } from '../../core/ids';
import { isFinal, unattemptedDelivery, type Delivery, type DeliveryStatus, type HeraldEvent } from '../../core/model';
import type { Page, PageRequest } from '../../ports/endpoint-store';
import type { DeliveryRead, EventStore, PutEventResult, TransitionOptions } from '../../ports/event-store';
import { UpdateExpression } from './update-expression';
import { batchGet, batchGetInOrder, decodeListCursor, forEachLimited, isConditionFailed, queryAll, storeCall } from './table-io';
import {
  DELIVERY_FIELDS,
  TTL_ATTRIBUTE,
  deliveryExpiresAt,
  deliveryIndexAttributes,
  deliveryLocation,
  deliveryPartition,
  deliveryToItem,
  encodeCursor,
  eventToItem,
  excerptNumber,
  expiresAt,
  indexKeys,
  itemBytes,
  itemToDelivery,
  itemToEvent,
  keys,
  locationOf,
  type Item,
} from './schema';

/** Deliveries written at once (each is its own conditional put). */
const WRITE_CONCURRENCY = 16;

/** DynamoDB's item size limit (400 KB), less room for the size estimate's error. */
export const MAX_ITEM_BYTES = 400 * 1024 - 2048;

/** A delivery sort key: `<ISO time>#<26-character key>`. */
const DELIVERY_SK = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[0-9A-Z]{26}$/;
/** A dead-letter index sort key: `<ISO time>#<delivery id>`. */
const DEAD_SK = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#dlv_[0-9A-Z]{52}$/;

export class DynamoEventStore implements EventStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Every record written here expires this many days after it was created (or last moved). */
    private readonly retentionDays: number,
  ) {}

  assertStorable(event: HeraldEvent): void {
    this.storableItem(event);
  }

  /** The event's item, checked against the item size limit. */
  private storableItem(event: HeraldEvent): Item {
    const item = eventToItem(event, expiresAt(event.createdAt, this.retentionDays));
    const size = itemBytes(item);
    if (size > MAX_ITEM_BYTES) {
      // Checked before the write: DynamoDB would refuse this item on every retry, so it is the client's to fix.
      throw new PayloadTooLargeError(
        MAX_ITEM_BYTES,
        `the event would be stored as about ${Math.ceil(size / 1024)} KB, over the ${Math.floor(MAX_ITEM_BYTES / 1024)} KB a stored event may take ` +
          `(DynamoDB's 400 KB item limit; numbers such as 1e20 are stored written out in full): send less data`,
      );
    }
    return item;
  }

  createEvent(event: HeraldEvent): Promise<PutEventResult> {
    let item: Item;
    try {
      item = this.storableItem(event);
    } catch (error) {
      return Promise.reject(error);
    }
    return storeCall(async () => {
      try {
        await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
        return { created: true };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const existing = await this.readEvent(event.key);
      if (existing === undefined) throw new Error('event vanished after a failed conditional put');
      return { created: false, existing };
    });
  }

  deleteEvent(eventKey: string): Promise<void> {
    return storeCall(async () => {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.event(eventKey) }));
    });
  }

  createSkippedDeliveries(deliveries: readonly Delivery[]): Promise<void> {
    return storeCall(() =>
      forEachLimited(deliveries, WRITE_CONCURRENCY, async (d) => {
        try {
          await this.doc.send(
            new PutCommand({
              TableName: this.tableName,
              Item: deliveryToItem(d, [], { longWait: false }, deliveryExpiresAt(d, d.createdAt, this.retentionDays)),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      }),
    );
  }

  getEvent(eventKey: string): Promise<HeraldEvent | undefined> {
    return storeCall(() => this.readEvent(eventKey));
  }

  getDelivery(id: string): Promise<DeliveryRead | undefined> {
    return storeCall(async () => {
      const located = deliveryLocation(id, 0);
      if (located === undefined) return undefined;
      const event = await this.readEvent(located.eventKey);
      const entry = event?.fanOut.find((f) => f.endpointId === located.endpointId);
      if (event === undefined || entry === undefined) return undefined;
      const { pk, sk } = keys.delivery({ ...located, createdAt: event.createdAt });
      // The delivery item and its excerpt items share the sort key prefix: one Query reads them all.
      const items = await queryAll(this.doc, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': pk, ':sk': sk },
        ConsistentRead: true,
      });
      const item = items.find((i) => i.sk === sk);
      if (item === undefined) return { delivery: unattemptedDelivery(event, entry), stored: false };
      const excerpts = new Map<number, string>();
      for (const i of items) {
        const n = excerptNumber(i.sk as string);
        if (n !== undefined) excerpts.set(n, i.x as string);
      }
      return { delivery: itemToDelivery(item, excerpts), stored: true };
    });
  }

  getDeliveriesOfEvent(event: HeraldEvent): Promise<Delivery[]> {
    return storeCall(async () => {
      const locations = event.fanOut.map((f) => ({ endpointId: f.endpointId, eventKey: event.key, createdAt: event.createdAt }));
      const items = await batchGet(this.doc, this.tableName, locations.map((at) => keys.delivery(at)));
      const byId = new Map(items.map((item) => [item.id as string, itemToDelivery(item)]));
      return event.fanOut.map((entry) => byId.get(deliveryId(event.key, entry.endpointId)) ?? unattemptedDelivery(event, entry));
    });
  }

  listDeliveriesOfEndpoint(query: PageRequest & { readonly endpointId: string; readonly status?: DeliveryStatus }): Promise<Page<Delivery>> {
    return storeCall(async () => {
      const position = decodeListCursor(query.cursor, ['e', 's'], (p) => p.e === query.endpointId && DELIVERY_SK.test(p.s as string));
      const before = position?.s as string | undefined;
      const shards = await Promise.all(
        Array.from({ length: DELIVERY_SHARDS }, (_, shard) =>
          this.newestOfShard(deliveryPartition(query.endpointId, shard), query.limit, before, query.status === undefined ? undefined : [query.status]),
        ),
      );
      const merged = shards.flatMap((s) => s.items).sort((a, b) => ((a.sk as string) < (b.sk as string) ? 1 : -1));
      const page = merged.slice(0, query.limit);
      const more = merged.length > query.limit || shards.some((s) => s.more);
      const last = page[page.length - 1];
      const items = page.map((item) => itemToDelivery(item));
      return more && last !== undefined ? { items, nextCursor: encodeCursor({ e: query.endpointId, s: last.sk as string }) as string } : { items };
    });
  }

  /**
   * Up to `limit` items of one delivery partition, newest first, older than `before` and (optionally) of one of
   * `statuses`; `more` when the partition may hold further matches.
   */
  private async newestOfShard(
    pk: string,
    limit: number,
    before: string | undefined,
    statuses: readonly DeliveryStatus[] | undefined,
  ): Promise<{ items: Item[]; more: boolean }> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: before === undefined ? 'pk = :pk' : 'pk = :pk AND sk < :before',
          ...this.deliveryFilter(statuses),
          ExpressionAttributeValues: {
            ':pk': pk,
            ':delivery': 'delivery',
            ...(before === undefined ? {} : { ':before': before }),
            ...Object.fromEntries((statuses ?? []).map((s, i) => [`:s${i}`, s])),
          },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: Math.max(limit, 20),
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start !== undefined && items.length <= limit);
    return { items: items.slice(0, limit + 1), more: start !== undefined || items.length > limit };
  }

  /** Only delivery items (not excerpts), of the given statuses. */
  private deliveryFilter(statuses: readonly DeliveryStatus[] | undefined): { FilterExpression: string; ExpressionAttributeNames: Record<string, string> } {
    const byStatus = statuses === undefined ? '' : ` AND #status IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`;
    return {
      FilterExpression: `#entity = :delivery${byStatus}`,
      ExpressionAttributeNames: { '#entity': 'entity', ...(statuses === undefined ? {} : { '#status': 'status' }) },
    };
  }

  listAllDeliveriesOfEndpoint(endpointId: string, statuses: readonly DeliveryStatus[], since?: number): Promise<Delivery[]> {
    return storeCall(async () => {
      const shards = await Promise.all(
        Array.from({ length: DELIVERY_SHARDS }, (_, shard) =>
          queryAll(this.doc, {
            TableName: this.tableName,
            KeyConditionExpression: since === undefined ? 'pk = :pk' : 'pk = :pk AND sk >= :since',
            ...this.deliveryFilter(statuses),
            ExpressionAttributeValues: {
              ':pk': deliveryPartition(endpointId, shard),
              ':delivery': 'delivery',
              ...(since === undefined ? {} : { ':since': new Date(since).toISOString() }),
              ...Object.fromEntries(statuses.map((s, i) => [`:s${i}`, s])),
            },
            ConsistentRead: true,
          }),
        ),
      );
      return shards.flat().map((item) => itemToDelivery(item));
    });
  }

  listDeadDeliveries(query: PageRequest): Promise<Page<Delivery>> {
    return storeCall(async () => {
      const position = decodeListCursor(query.cursor, ['s'], (p) => DEAD_SK.test(p.s as string));
      const before = position?.s as string | undefined;
      const shards = await Promise.all(
        Array.from({ length: DELIVERY_SHARDS }, async (_, shard) => {
          const out = await this.doc.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: 'gsi3',
              KeyConditionExpression: before === undefined ? 'gsi3pk = :p' : 'gsi3pk = :p AND gsi3sk < :before',
              ExpressionAttributeValues: { ':p': indexKeys.dead(shard), ...(before === undefined ? {} : { ':before': before }) },
              ScanIndexForward: false,
              Limit: query.limit + 1,
            }),
          );
          return { keys: out.Items ?? [], more: out.LastEvaluatedKey !== undefined };
        }),
      );
      const merged = shards.flatMap((s) => s.keys).sort((a, b) => ((a.gsi3sk as string) < (b.gsi3sk as string) ? 1 : -1));
      const page = merged.slice(0, query.limit);
      const more = merged.length > query.limit || shards.some((s) => s.more);
      // The index lags and holds keys only: read the items, and keep those that are still dead.
      const items = await batchGetInOrder(this.doc, this.tableName, page.map((k) => ({ pk: k.pk, sk: k.sk })));
      const deliveries = items.map((item) => itemToDelivery(item)).filter((d) => d.status === 'dead');
      const last = page[page.length - 1];
      return more && last !== undefined ? { items: deliveries, nextCursor: encodeCursor({ s: last.gsi3sk as string }) as string } : { items: deliveries };
    });
  }

  countDeadDeliveries(atMost: number): Promise<number> {
    return storeCall(async () => {
      // Select COUNT on the keys-only index: no item is read, each page costs a fraction of a read unit.
      const counts = await Promise.all(
        Array.from({ length: DELIVERY_SHARDS }, async (_, shard) => {
          let count = 0;
          let start: Record<string, unknown> | undefined;
          do {
            const out = await this.doc.send(
              new QueryCommand({
                TableName: this.tableName,
                IndexName: 'gsi3',
                KeyConditionExpression: 'gsi3pk = :p',
                ExpressionAttributeValues: { ':p': indexKeys.dead(shard) },
                Select: 'COUNT',
                ...(start === undefined ? {} : { ExclusiveStartKey: start }),
              }),
            );
            count += out.Count ?? 0;
            start = out.LastEvaluatedKey;
          } while (start !== undefined && count < atMost);
          return count;
        }),
      );
      return Math.min(
        atMost,
        counts.reduce((a, b) => a + b, 0),
      );
    });
  }

  listWaiting(shard: number, dueBefore: number, limit: number, cursor?: string): Promise<Page<Delivery>> {
    return storeCall(async () => {
      const partition = indexKeys.waiting(shard);
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :p AND gsi2sk < :before',
          ExpressionAttributeValues: { ':p': partition, ':before': new Date(dueBefore).toISOString() },
          Limit: limit,
          ExclusiveStartKey: decodeListCursor(cursor, ['pk', 'sk', 'gsi2pk', 'gsi2sk'], (p) => p.gsi2pk === partition),
        }),
      );
      const items = await batchGetInOrder(this.doc, this.tableName, (out.Items ?? []).map((k) => ({ pk: k.pk, sk: k.sk })));
      const deliveries = items.map((item) => itemToDelivery(item)).filter((d) => !isFinal(d.status));
      const nextCursor = encodeCursor(out.LastEvaluatedKey);
      return nextCursor === undefined ? { items: deliveries } : { items: deliveries, nextCursor };
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
      // Moved by the API or the sweep: its next attempt is a queued redelivery, indexed until it is made.
      const index = deliveryIndexAttributes(next, { longWait: true });
      for (const [attribute, value] of Object.entries(index.set)) update.set(attribute, value);
      for (const attribute of index.remove) update.remove(attribute);
      update.set(TTL_ATTRIBUTE, deliveryExpiresAt(next, Math.max(next.createdAt, next.updatedAt), this.retentionDays));

      names['#status'] = 'status';
      names['#attemptCount'] = 'attemptCount';
      names['#nextAttemptAt'] = 'nextAttemptAt';
      values[':cStatus'] = current.status;
      values[':cAttempts'] = current.attemptCount;
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
            Key: keys.delivery(locationOf(current)),
            UpdateExpression: update.toString(),
            ConditionExpression: `attribute_exists(pk) AND #status = :cStatus AND #attemptCount = :cAttempts AND ${nextCondition}${leaseCondition}`,
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

  extendEvent(eventKey: string, until: number): Promise<void> {
    return storeCall(async () => {
      const ttl = expiresAt(until, this.retentionDays);
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.event(eventKey),
            UpdateExpression: 'SET #ttl = :ttl',
            ConditionExpression: 'attribute_exists(pk) AND #ttl < :ttl',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':ttl': ttl },
          }),
        );
      } catch (error) {
        // Gone, or already kept long enough.
        if (!isConditionFailed(error)) throw error;
      }
    });
  }

  private async readEvent(eventKey: string): Promise<HeraldEvent | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.event(eventKey), ConsistentRead: true }));
    return out.Item === undefined ? undefined : itemToEvent(out.Item);
  }
}
