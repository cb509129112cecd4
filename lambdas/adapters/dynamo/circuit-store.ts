/**
 * The circuit breaker's storage on the single table (lambdas/ports/circuit-store.ts).
 *
 * The circuit is stored on the endpoint item as JSON text (`circuit`), so a save can be conditioned on the exact
 * circuit the worker loaded: two workers never overwrite each other's transition blindly. While an endpoint needs
 * the sweep (circuit not closed, or parked deliveries still to release) it carries gsi3 `OPEN` /
 * `<attentionISO>#<endpointId>`. Parked deliveries carry gsi2 `PARKED#<endpoint>#<shard>` / `<createdISO>#<id>`
 * (schema.ts `deliveryIndexAttributes`); the index holds keys only, so the attempt counts are read from the table.
 */
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DELIVERY_SHARDS } from '../../../lib/spec';
import type { Circuit } from '../../core/circuit';
import type { Endpoint } from '../../core/model';
import type { CircuitSave, CircuitStore, ParkedDelivery } from '../../ports/circuit-store';
import { indexKeys, itemToEndpoint, keys, type Item } from './schema';
import { batchGet, isConditionFailed, storeCall } from './table-io';

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

  async parked(endpointId: string, limit: number, after?: string): Promise<ParkedDelivery[]> {
    const refs: Item[] = [];
    // Each shard is ordered by created time; the oldest `limit` overall are among the oldest `limit` of each shard.
    await Promise.all(
      Array.from({ length: DELIVERY_SHARDS }, async (_, shard) => {
        const out = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: 'gsi2',
            KeyConditionExpression: after === undefined ? 'gsi2pk = :p' : 'gsi2pk = :p AND gsi2sk > :after',
            ExpressionAttributeValues: { ':p': indexKeys.parked(endpointId, shard), ...(after === undefined ? {} : { ':after': after }) },
            Limit: limit,
          }),
        );
        refs.push(...(out.Items ?? []));
      }),
    );
    refs.sort((a, b) => ((a.gsi2sk as string) < (b.gsi2sk as string) ? -1 : 1));
    const oldest = refs.slice(0, limit);
    if (oldest.length === 0) return [];
    const items = await batchGet(this.doc, this.tableName, oldest.map((r) => ({ pk: r.pk, sk: r.sk })));
    const byKey = new Map(items.map((i) => [`${i.pk as string}|${i.sk as string}`, i]));
    const out: ParkedDelivery[] = [];
    for (const ref of oldest) {
      const item = byKey.get(`${ref.pk as string}|${ref.sk as string}`);
      // The index lags the table: skip what is no longer parked.
      if (item === undefined || item.status !== 'parked') continue;
      out.push({ deliveryId: item.id as string, attemptCount: (item.attemptCount as number | undefined) ?? 0, position: ref.gsi2sk as string });
    }
    return out;
  }

  async countParked(endpointId: string): Promise<number> {
    let total = 0;
    await Promise.all(
      Array.from({ length: DELIVERY_SHARDS }, async (_, shard) => {
        let start: Record<string, unknown> | undefined;
        do {
          const out = await this.doc.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: 'gsi2',
              KeyConditionExpression: 'gsi2pk = :p',
              ExpressionAttributeValues: { ':p': indexKeys.parked(endpointId, shard) },
              Select: 'COUNT',
              ...(start === undefined ? {} : { ExclusiveStartKey: start }),
            }),
          );
          total += out.Count ?? 0;
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
