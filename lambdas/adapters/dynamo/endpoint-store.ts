/**
 * EndpointStore on the DynamoDB single table (layout in ./schema.ts): endpoints and their subscription copies.
 *
 * Fan-out never reads an index (GSI reads lag in AWS). It reads one of SUBSCRIPTION_COPIES copies of the tenant's
 * subscription list, strongly consistent; every change to what fan-out needs (event types, disabled, tenant) writes
 * all copies before it returns, so an endpoint created, disabled or deleted is seen by every publish that starts
 * after the API answered. Each copy carries the endpoint's `updatedAt` and is written only over an older one, so
 * two concurrent changes cannot leave a copy with the older state.
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { SUBSCRIPTION_COPIES } from '../../../lib/spec';
import type { Endpoint, SigningSecret } from '../../core/model';
import type { EndpointChanges, EndpointStore, Page, PageRequest, Subscription } from '../../ports/endpoint-store';
import { UpdateExpression } from './update-expression';
import { batchGetInOrder, decodeListCursor, forEachLimited, isConditionFailed, queryAll, storeCall } from './table-io';
import { encodeCursor, endpointToItem, indexKeys, itemToEndpoint, itemToSubscription, keys, subscriptionToItem, type Item } from './schema';

/** Fields of EndpointChanges written as they are (disabledReason needs extra care). */
const PLAIN_FIELDS = [
  'url',
  'description',
  'eventTypes',
  'retryPolicy',
  'timeoutMs',
  'headers',
  'disabled',
  'payloadFormat',
  'health',
  'updatedAt',
] as const;
const COPY_NUMBERS = Array.from({ length: SUBSCRIPTION_COPIES }, (_, i) => i);

/** Writes every subscription copy of an endpoint, each only over an older version of itself. */
export async function writeSubscriptionCopies(doc: DynamoDBDocumentClient, table: string, endpoint: Endpoint): Promise<void> {
  await forEachLimited(COPY_NUMBERS, SUBSCRIPTION_COPIES, async (copy) => {
    try {
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: { ...subscriptionToItem(endpoint, copy), v: endpoint.updatedAt },
          ConditionExpression: 'attribute_not_exists(pk) OR v <= :v',
          ExpressionAttributeValues: { ':v': endpoint.updatedAt },
        }),
      );
    } catch (error) {
      // A newer change already wrote this copy.
      if (!isConditionFailed(error)) throw error;
    }
  });
}

/** Removes every subscription copy of an endpoint under `tenant` (fan-out stops reaching it). */
export async function deleteSubscriptionCopies(doc: DynamoDBDocumentClient, table: string, tenant: string, endpointId: string): Promise<void> {
  await forEachLimited(COPY_NUMBERS, SUBSCRIPTION_COPIES, async (copy) => {
    await doc.send(new DeleteCommand({ TableName: table, Key: keys.subscription(tenant, copy, endpointId) }));
  });
}

export class DynamoEndpointStore implements EndpointStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  create(endpoint: Endpoint): Promise<void> {
    return storeCall(async () => {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: endpointToItem(endpoint),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      try {
        await writeSubscriptionCopies(this.doc, this.tableName, endpoint);
      } catch (error) {
        // Not every publish would see it: take it back (best effort) and answer 503, so the client creates it again.
        await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.endpoint(endpoint.id) })).catch(() => undefined);
        await deleteSubscriptionCopies(this.doc, this.tableName, endpoint.tenant, endpoint.id).catch(() => undefined);
        throw error;
      }
    });
  }

  get(id: string): Promise<Endpoint | undefined> {
    return storeCall(() => this.read(id));
  }

  private async read(id: string): Promise<Endpoint | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.endpoint(id), ConsistentRead: true }));
    return out.Item === undefined ? undefined : itemToEndpoint(out.Item);
  }

  list(query: PageRequest & { readonly tenant?: string }): Promise<Page<Endpoint>> {
    const [index, partition] =
      query.tenant === undefined
        ? (['gsi2', indexKeys.allEndpoints] as const)
        : (['gsi1', indexKeys.endpointsOfTenant(query.tenant)] as const);
    return storeCall(async () => {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: `${index}pk = :p`,
          ExpressionAttributeValues: { ':p': partition },
          ScanIndexForward: false,
          Limit: query.limit,
          ExclusiveStartKey: decodeListCursor(query.cursor, ['pk', 'sk', `${index}pk`, `${index}sk`], (p) => p[`${index}pk`] === partition),
        }),
      );
      // The index holds keys only: the endpoints themselves are read from the table (strongly consistent).
      const items = await batchGetInOrder(this.doc, this.tableName, (out.Items ?? []).map((k) => ({ pk: k.pk, sk: k.sk })));
      const nextCursor = encodeCursor(out.LastEvaluatedKey);
      const endpoints = items.map(itemToEndpoint);
      return nextCursor === undefined ? { items: endpoints } : { items: endpoints, nextCursor };
    });
  }

  subscriptionsOf(tenant: string, copy: number): Promise<Subscription[]> {
    return storeCall(async () => {
      const items = await queryAll(this.doc, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': keys.subscription(tenant, copy, '').pk },
        ConsistentRead: true,
      });
      return items.map(itemToSubscription).sort((a, b) => a.createdAt - b.createdAt || (a.endpointId < b.endpointId ? -1 : 1));
    });
  }

  update(id: string, changes: EndpointChanges): Promise<Endpoint | undefined> {
    return storeCall(async () => {
      // An endpoint's tenant never changes (the API refuses it), so its copies stay in one place.
      const fanOutChanges = changes.eventTypes !== undefined || changes.disabled !== undefined;
      const update = new UpdateExpression();
      for (const field of PLAIN_FIELDS) {
        if (changes[field] !== undefined) update.set(field, changes[field]);
      }
      if (changes.circuitBreaker === null) update.remove('circuitBreaker');
      else if (changes.circuitBreaker !== undefined) update.set('circuitBreaker', changes.circuitBreaker);
      if (changes.rateLimitPerSecond === null) update.remove('rateLimitPerSecond');
      else if (changes.rateLimitPerSecond !== undefined) update.set('rateLimitPerSecond', changes.rateLimitPerSecond);
      if (changes.contacts === null) update.remove('contacts');
      else if (changes.contacts !== undefined) update.set('contacts', changes.contacts);
      if (changes.disabledReason === null) {
        update.remove('disabledReason');
      } else if (changes.disabledReason !== undefined) {
        update.set('disabledReason', changes.disabledReason);
      }
      let updated: Endpoint | undefined;
      try {
        const out = await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.endpoint(id),
            UpdateExpression: update.toString(),
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: update.names,
            ExpressionAttributeValues: update.values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        updated = out.Attributes === undefined ? undefined : itemToEndpoint(out.Attributes);
      } catch (error) {
        if (isConditionFailed(error)) return undefined;
        throw error;
      }
      if (updated !== undefined && fanOutChanges) await writeSubscriptionCopies(this.doc, this.tableName, updated);
      return updated;
    });
  }

  replaceSecrets(
    id: string,
    expectedNewest: string | undefined,
    secrets: readonly SigningSecret[],
    updatedAt: number,
  ): Promise<'replaced' | 'conflict' | 'missing'> {
    return storeCall(async () => {
      const condition =
        expectedNewest === undefined
          ? 'attribute_exists(pk) AND (attribute_not_exists(#secrets) OR size(#secrets) = :zero)'
          : 'attribute_exists(pk) AND #secrets[0].#secret = :expected';
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.endpoint(id),
            UpdateExpression: 'SET #secrets = :secrets, #updatedAt = :updatedAt',
            ConditionExpression: condition,
            ExpressionAttributeNames: {
              '#secrets': 'secrets',
              '#updatedAt': 'updatedAt',
              ...(expectedNewest === undefined ? {} : { '#secret': 'secret' }),
            },
            ExpressionAttributeValues: {
              ':secrets': secrets,
              ':updatedAt': updatedAt,
              ...(expectedNewest === undefined ? { ':zero': 0 } : { ':expected': expectedNewest }),
            },
          }),
        );
        return 'replaced';
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      return (await this.read(id)) === undefined ? 'missing' : 'conflict';
    });
  }

  delete(id: string): Promise<void> {
    return storeCall(async () => {
      const endpoint = await this.read(id);
      if (endpoint === undefined) return;
      // Fan-out stops first; a repeated call after a failure finishes the job.
      await deleteSubscriptionCopies(this.doc, this.tableName, endpoint.tenant, id);
      // The endpoint's alert window stays: dead letters it holds are still reported when it is flushed.
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.endpoint(id) }));
    });
  }
}

