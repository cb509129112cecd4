/**
 * ApiKeyStore on the single table: every key in one partition (`APIKEY` / `<key id>`). Keys are few; a request's key
 * is read by the id it carries, and the list is one Query.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Grant } from '../../core/access';
import type { ApiKeyStore, StoredApiKey } from '../../ports/api-key-store';
import { isConditionFailed, storeCall } from './table-io';

const PARTITION = 'APIKEY';
const keyOf = (id: string) => ({ pk: PARTITION, sk: id });

function toKey(item: Record<string, unknown>): StoredApiKey {
  return {
    id: item.id as string,
    name: (item.name as string | undefined) ?? '',
    grants: item.grants as Grant[],
    keyHash: item.keyHash as string,
    createdAt: item.createdAt as number,
    createdBy: (item.createdBy as string | undefined) ?? '',
  };
}

export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  create(key: StoredApiKey): Promise<void> {
    return storeCall(async () => {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyOf(key.id), entity: 'api_key', ...key },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    });
  }

  get(id: string): Promise<StoredApiKey | undefined> {
    return storeCall(async () => {
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keyOf(id), ConsistentRead: true }));
      return out.Item === undefined ? undefined : toKey(out.Item);
    });
  }

  list(): Promise<StoredApiKey[]> {
    return storeCall(async () => {
      const keys: StoredApiKey[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :p',
            ExpressionAttributeValues: { ':p': PARTITION },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        keys.push(...(out.Items ?? []).map(toKey));
        start = out.LastEvaluatedKey;
      } while (start !== undefined);
      return keys.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    });
  }

  delete(id: string): Promise<boolean> {
    return storeCall(async () => {
      try {
        await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keyOf(id), ConditionExpression: 'attribute_exists(pk)' }));
        return true;
      } catch (error) {
        if (isConditionFailed(error)) return false;
        throw error;
      }
    });
  }
}
