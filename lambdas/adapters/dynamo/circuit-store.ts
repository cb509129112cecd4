/**
 * The circuit breaker's storage on the single table (lambdas/ports/circuit-store.ts).
 *
 * The circuit is stored on the endpoint item as JSON text (`circuit`), so a save can be conditioned on the exact
 * circuit the worker loaded: two workers never overwrite each other's transition blindly. While an endpoint needs
 * the sweep (circuit not closed, or parked deliveries still to release) it carries gsi3 `OPEN` /
 * `<attentionISO>#<endpointId>`.
 *
 * The park log: items `PARKLOG#<endpoint>#<shard>` / `<positionISO>#<random>`, each listing the deliveries one batch
 * parked (`e`: event key, attempt count, position; the delivery id is the event key with the endpoint), with a
 * version `v` every rewrite is conditioned on and the entry count `c`. A log write goes to a random one of
 * {@link PARK_LOG_SHARDS} partitions, so an endpoint parking 8,000 deliveries a second in batches of ten writes
 * 200 log items a second per partition; reads merge the shards in position order.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Circuit } from '../../core/circuit';
import { deliveryId, parseDeliveryId } from '../../core/ids';
import type { Endpoint } from '../../core/model';
import type { CircuitSave, CircuitStore, ParkEntry, ParkLogItem } from '../../ports/circuit-store';
import { indexKeys, itemToEndpoint, keys, parkLogPartition, type Item } from './schema';
import { batchGet, isConditionFailed, storeCall } from './table-io';

/** Partitions of one endpoint's park log. */
export const PARK_LOG_SHARDS = 4;
/** Entries per log item at most (about 45 bytes each): a larger batch's parks are split over items. */
const ENTRIES_PER_ITEM = 100;

/** An entry as stored: short names, the endpoint implied by the partition. */
interface StoredEntry {
  readonly k: string;
  readonly n: number;
  readonly p: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class DynamoCircuitStore implements CircuitStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  endpoint(endpointId: string): Promise<Endpoint | undefined> {
    return storeCall(async () => {
      const items = await batchGet(this.doc, this.tableName, [keys.endpoint(endpointId)]);
      const item = items[0];
      return item === undefined ? undefined : itemToEndpoint(item);
    });
  }

  async save(save: CircuitSave): Promise<'saved' | 'conflict'> {
    const names: Record<string, string> = { '#c': 'circuit', '#pk': 'pk' };
    const values: Record<string, unknown> = { ':next': JSON.stringify(save.next), ':expected': JSON.stringify(save.expected) };
    let update = 'SET #c = :next';
    if (save.attentionAt === null) {
      update += ' REMOVE #g3pk, #g3sk';
    } else if (save.attentionAt !== undefined) {
      update += ', #g3pk = :open, #g3sk = :at';
      values[':open'] = indexKeys.openCircuits;
      values[':at'] = `${iso(save.attentionAt)}#${save.endpointId}`;
    }
    if (save.attentionAt !== undefined) {
      names['#g3pk'] = 'gsi3pk';
      names['#g3sk'] = 'gsi3sk';
    }
    // An endpoint written before the breaker existed has no circuit: it counts as closed with no failures.
    const unset = sameAsClosed(save.expected) ? ' OR attribute_not_exists(#c)' : '';
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.endpoint(save.endpointId),
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(#pk) AND (#c = :expected${unset})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return 'saved';
    } catch (error) {
      if (isConditionFailed(error)) return 'conflict';
      throw error;
    }
  }

  async logParked(endpointId: string, entries: readonly ParkEntry[], now: number): Promise<void> {
    for (let i = 0; i < entries.length; i += ENTRIES_PER_ITEM) {
      const part = entries.slice(i, i + ENTRIES_PER_ITEM);
      const stored = part.map((e) => toStored(endpointId, e));
      const position = Math.min(...part.map((e) => e.position));
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.parkLog(endpointId, randomInt(PARK_LOG_SHARDS), position, randomBytes(6).toString('hex')),
            entity: 'parklog',
            endpointId,
            v: 1,
            c: stored.length,
            p: position,
            at: now,
            e: stored,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    }
  }

  async parkLog(endpointId: string, entries: number, before?: number): Promise<ParkLogItem[]> {
    // A merge of the shards in position order, each read a page at a time as the merge needs it: every shard's
    // items come in order, so the smallest head is the next item overall.
    const pageSize = Math.max(2, Math.ceil(entries / 40));
    const shards = Array.from({ length: PARK_LOG_SHARDS }, (_, shard) => ({ shard, buffer: [] as Item[], start: undefined as Item | undefined, done: false }));
    const fill = async (s: (typeof shards)[number]) => {
      if (s.buffer.length > 0 || s.done) return;
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: before === undefined ? 'pk = :p' : 'pk = :p AND sk < :before',
          ExpressionAttributeValues: { ':p': parkLogPartition(endpointId, s.shard), ...(before === undefined ? {} : { ':before': iso(before) }) },
          ConsistentRead: true,
          Limit: pageSize,
          ...(s.start === undefined ? {} : { ExclusiveStartKey: s.start }),
        }),
      );
      s.buffer.push(...(out.Items ?? []));
      s.start = out.LastEvaluatedKey;
      s.done = out.LastEvaluatedKey === undefined;
    };
    const out: ParkLogItem[] = [];
    let count = 0;
    while (count < entries) {
      await Promise.all(shards.map(fill));
      let next: (typeof shards)[number] | undefined;
      for (const s of shards) {
        const head = s.buffer[0];
        if (head !== undefined && (next === undefined || (head.sk as string) < (next.buffer[0]!.sk as string))) next = s;
      }
      if (next === undefined) break;
      const item = toLogItem(endpointId, next.buffer.shift()!);
      out.push(item);
      count += item.entries.length;
    }
    return out;
  }

  async rewriteParkLog(item: ParkLogItem, remaining: readonly ParkEntry[]): Promise<'saved' | 'conflict'> {
    const key = JSON.parse(item.ref) as { pk: string; sk: string };
    try {
      if (remaining.length === 0) {
        await this.doc.send(
          new DeleteCommand({ TableName: this.tableName, Key: key, ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': item.version } }),
        );
      } else {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET e = :e, c = :c, v = :next',
            ConditionExpression: 'v = :v',
            ExpressionAttributeValues: {
              ':e': remaining.map((e) => toStored(item.endpointId, e)),
              ':c': remaining.length,
              ':v': item.version,
              ':next': item.version + 1,
            },
          }),
        );
      }
      return 'saved';
    } catch (error) {
      if (isConditionFailed(error)) return 'conflict';
      throw error;
    }
  }

  async countParked(endpointId: string): Promise<number> {
    let total = 0;
    await Promise.all(
      Array.from({ length: PARK_LOG_SHARDS }, async (_, shard) => {
        let start: Record<string, unknown> | undefined;
        do {
          const out = await this.doc.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: 'pk = :p',
              ExpressionAttributeValues: { ':p': parkLogPartition(endpointId, shard) },
              ProjectionExpression: 'c',
              ...(start === undefined ? {} : { ExclusiveStartKey: start }),
            }),
          );
          for (const item of out.Items ?? []) total += typeof item.c === 'number' ? item.c : 0;
          start = out.LastEvaluatedKey;
        } while (start !== undefined);
      }),
    );
    return total;
  }

  async needingAttention(now: number, limit: number): Promise<string[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi3',
        KeyConditionExpression: 'gsi3pk = :p AND gsi3sk <= :now',
        ExpressionAttributeValues: { ':p': indexKeys.openCircuits, ':now': `${iso(now)}#~` },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => (i.gsi3sk as string).slice((i.gsi3sk as string).indexOf('#') + 1));
  }
}

function sameAsClosed(c: Circuit): boolean {
  return c.state === 'closed' && c.failures === 0;
}

function toStored(endpointId: string, entry: ParkEntry): StoredEntry {
  const parsed = parseDeliveryId(entry.deliveryId);
  if (parsed === undefined || parsed.endpointId !== endpointId) throw new Error(`delivery ${entry.deliveryId} is not one of endpoint ${endpointId}'s`);
  return { k: parsed.eventKey, n: entry.attemptCount, p: entry.position };
}

function toLogItem(endpointId: string, item: Item): ParkLogItem {
  const stored = (item.e as StoredEntry[] | undefined) ?? [];
  return {
    endpointId,
    ref: JSON.stringify({ pk: item.pk, sk: item.sk }),
    version: item.v as number,
    position: item.p as number,
    entries: stored.map((e) => ({ deliveryId: deliveryId(e.k, endpointId), attemptCount: e.n, position: e.p })),
  };
}
