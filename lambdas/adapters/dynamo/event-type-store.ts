/**
 * EventTypeStore on the DynamoDB single table: one item per event type, pk `ETYPE`, sk the type. The schema and
 * the example are kept as JSON text, so they come back exactly as they were sent (key order included).
 *
 * One partition holds the whole catalog: it is written by people through the API and read by publish through a
 * short cache (see use-cases/api/event-types.ts), far below a partition's limits.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventTypeDefinition } from '../../core/event-catalog';
import type { Page, PageRequest } from '../../ports/endpoint-store';
import type { EventTypeStore } from '../../ports/event-type-store';
import { isConditionFailed, storeCall } from './table-io';
import { decodeCursor, encodeCursor, type Item } from './schema';
import { ValidationError } from '../../core/errors';

export const EVENT_TYPE_PK = 'ETYPE';

export function eventTypeToItem(definition: EventTypeDefinition): Item {
  return {
    pk: EVENT_TYPE_PK,
    sk: definition.type,
    entity: 'event_type',
    type: definition.type,
    description: definition.description,
    ...(definition.schema === undefined ? {} : { schemaJson: JSON.stringify(definition.schema) }),
    ...(definition.example === undefined ? {} : { exampleJson: JSON.stringify(definition.example) }),
    createdAt: definition.createdAt,
    updatedAt: definition.updatedAt,
  };
}

export function itemToEventType(item: Item): EventTypeDefinition {
  return {
    type: item.type as string,
    description: (item.description as string | undefined) ?? '',
    ...(item.schemaJson === undefined ? {} : { schema: JSON.parse(item.schemaJson as string) as Record<string, unknown> }),
    ...(item.exampleJson === undefined ? {} : { example: JSON.parse(item.exampleJson as string) as unknown }),
    createdAt: item.createdAt as number,
    updatedAt: item.updatedAt as number,
  };
}

export class DynamoEventTypeStore implements EventTypeStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  put(definition: EventTypeDefinition): Promise<{ readonly created: boolean }> {
    return storeCall(async () => {
      // Created only when absent; a replace keeps the first createdAt.
      try {
        await this.doc.send(
          new PutCommand({ TableName: this.tableName, Item: eventTypeToItem(definition), ConditionExpression: 'attribute_not_exists(pk)' }),
        );
        return { created: true };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const existing = await this.get(definition.type);
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: eventTypeToItem({ ...definition, createdAt: existing?.createdAt ?? definition.createdAt }),
        }),
      );
      return { created: false };
    });
  }

  get(type: string): Promise<EventTypeDefinition | undefined> {
    return storeCall(async () => {
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: EVENT_TYPE_PK, sk: type }, ConsistentRead: true }));
      return out.Item === undefined ? undefined : itemToEventType(out.Item);
    });
  }

  delete(type: string): Promise<boolean> {
    return storeCall(async () => {
      const out = await this.doc.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: EVENT_TYPE_PK, sk: type }, ReturnValues: 'ALL_OLD' }),
      );
      return out.Attributes !== undefined;
    });
  }

  list(page: PageRequest): Promise<Page<EventTypeDefinition>> {
    return storeCall(async () => {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': EVENT_TYPE_PK },
          Limit: page.limit,
          ExclusiveStartKey: startKey(page.cursor),
          ConsistentRead: true,
        }),
      );
      const items = (out.Items ?? []).map(itemToEventType);
      const nextCursor = encodeCursor(out.LastEvaluatedKey);
      return nextCursor === undefined ? { items } : { items, nextCursor };
    });
  }
}

function startKey(cursor: string | undefined): Item | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor);
  const valid = key !== undefined && Object.keys(key).sort().join() === 'pk,sk' && key.pk === EVENT_TYPE_PK && typeof key.sk === 'string';
  if (!valid) throw new ValidationError('invalid cursor', [{ path: 'cursor', message: 'is not a cursor of this list' }]);
  return key;
}
