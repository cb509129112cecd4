/**
 * EndpointStore on the DynamoDB single table (layout in ./schema.ts).
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Endpoint, SigningSecret } from '../../core/model';
import type { EndpointChanges, EndpointStore, Page, PageRequest } from '../../ports/endpoint-store';
import { UpdateExpression } from './update-expression';
import { isConditionFailed, queryIndexPage, storeCall } from './event-store';
import { endpointToItem, indexKeys, itemToEndpoint, keys, type Item } from './schema';

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
    });
  }

  get(id: string): Promise<Endpoint | undefined> {
    return storeCall(async () => {
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.endpoint(id), ConsistentRead: true }));
      return out.Item === undefined ? undefined : itemToEndpoint(out.Item);
    });
  }

  list(query: PageRequest & { readonly tenant?: string }): Promise<Page<Endpoint>> {
    const [index, partition] =
      query.tenant === undefined
        ? (['gsi2', indexKeys.allEndpoints] as const)
        : (['gsi1', indexKeys.endpointsOfTenant(query.tenant)] as const);
    return storeCall(() => queryIndexPage(this.doc, this.tableName, index, partition, query, false, itemToEndpoint));
  }

  listAllOfTenant(tenant: string): Promise<Endpoint[]> {
    return storeCall(async () => {
      const endpoints: Endpoint[] = [];
      let start: Item | undefined;
      do {
        const out = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :p',
            ExpressionAttributeValues: { ':p': indexKeys.endpointsOfTenant(tenant) },
            ExclusiveStartKey: start,
          }),
        );
        endpoints.push(...(out.Items ?? []).map(itemToEndpoint));
        start = out.LastEvaluatedKey;
      } while (start !== undefined);
      return endpoints;
    });
  }

  update(id: string, changes: EndpointChanges): Promise<Endpoint | undefined> {
    return storeCall(async () => {
      const update = new UpdateExpression();
      for (const field of PLAIN_FIELDS) {
        if (changes[field] !== undefined) update.set(field, changes[field]);
      }
      if (changes.disabledReason === null) {
        update.remove('disabledReason');
      } else if (changes.disabledReason !== undefined) {
        update.set('disabledReason', changes.disabledReason);
      }
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
        return out.Attributes === undefined ? undefined : itemToEndpoint(out.Attributes);
      } catch (error) {
        if (isConditionFailed(error)) return undefined;
        throw error;
      }
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
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.endpoint(id), ConsistentRead: true }));
      return out.Item === undefined ? 'missing' : 'conflict';
    });
  }

  delete(id: string): Promise<void> {
    return storeCall(async () => {
      // The endpoint's alert window stays: dead letters it holds are still reported when it is flushed.
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.endpoint(id) }));
    });
  }
}
