/**
 * The rate limiter's state on the single table (lambdas/ports/rate-store.ts): the attribute `rateTat` of the
 * endpoint item (epoch ms). Each save is conditioned on the value it read, so two containers admitting sends to one
 * endpoint at once cannot both spend the same slots. No index projects it: a save costs one write of the endpoint item.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RateState } from '../../core/rate-limit';
import type { RateStore } from '../../ports/rate-store';
import { keys } from './schema';
import { isConditionFailed, storeCall } from './table-io';

const ATTRIBUTE = 'rateTat';

export class DynamoRateStore implements RateStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  load(endpointId: string): Promise<RateState | undefined> {
    return storeCall(async () => {
      const out = await this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.endpoint(endpointId),
          ConsistentRead: true,
          ProjectionExpression: '#t',
          ExpressionAttributeNames: { '#t': ATTRIBUTE },
        }),
      );
      const tat = out.Item?.[ATTRIBUTE];
      return typeof tat === 'number' && Number.isFinite(tat) ? { tat } : undefined;
    });
  }

  save(endpointId: string, expected: RateState | undefined, next: RateState): Promise<'saved' | 'conflict'> {
    return storeCall(async () => {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.endpoint(endpointId),
            UpdateExpression: 'SET #t = :next',
            ConditionExpression: expected === undefined ? 'attribute_exists(pk) AND attribute_not_exists(#t)' : 'attribute_exists(pk) AND #t = :expected',
            ExpressionAttributeNames: { '#t': ATTRIBUTE },
            ExpressionAttributeValues: { ':next': next.tat, ...(expected === undefined ? {} : { ':expected': expected.tat }) },
          }),
        );
        return 'saved';
      } catch (error) {
        if (isConditionFailed(error)) return 'conflict';
        throw error;
      }
    });
  }
}
