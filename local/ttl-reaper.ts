/**
 * DynamoDB TTL, which dynalite does not implement: items whose TTL attribute (epoch seconds) has
 * passed are deleted.
 *
 * As in DynamoDB:
 * - only a Number attribute counts, and an item whose TTL lies more than five years in the past is
 *   never deleted;
 * - deletion happens some time after expiry, not at it (a reaper run; local mode runs one a minute,
 *   AWS usually within a few days), so code must not rely on an expired item being gone, nor on it
 *   still being there;
 * - an item whose TTL was moved forward before the deletion is kept (each delete is conditioned on
 *   the value it saw).
 */
import { DeleteItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_SPEC } from '../lib/spec';
import { systemClock, type Clock } from '../lambdas/ports';

/** DynamoDB ignores TTL values older than this (five years). */
export const TTL_IGNORED_AFTER_SECONDS = 5 * 365 * 86_400;

export interface TtlReaperOptions {
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  /** @default TABLE_SPEC.ttlAttribute */
  readonly attribute?: string;
  readonly clock?: Clock;
  /** Errors of a timed run (the next run tries again). */
  readonly onError?: (error: unknown) => void;
}

export class TtlReaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private readonly clock: Clock;
  private readonly attribute: string;
  /** Items deleted so far. */
  deleted = 0;

  constructor(private readonly options: TtlReaperOptions) {
    this.clock = options.clock ?? systemClock;
    this.attribute = options.attribute ?? TABLE_SPEC.ttlAttribute;
  }

  /** Deletes every item expired by the clock now; returns how many. One run at a time. */
  reap(): Promise<number> {
    this.running ??= this.reapOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Runs {@link reap} every `intervalMs`. */
  start(intervalMs = 60_000): void {
    this.stop();
    this.timer = setInterval(() => {
      this.reap().catch((error: unknown) => this.options.onError?.(error));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async reapOnce(): Promise<number> {
    const { dynamo, tableName } = this.options;
    const now = Math.floor(this.clock.now() / 1000);
    let deleted = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.send(
        new ScanCommand({
          TableName: tableName,
          ConsistentRead: true,
          FilterExpression: '#ttl < :now AND #ttl >= :oldest',
          ProjectionExpression: '#pk, #sk, #ttl',
          ExpressionAttributeNames: { '#ttl': this.attribute, '#pk': TABLE_SPEC.partitionKey, '#sk': TABLE_SPEC.sortKey },
          ExpressionAttributeValues: { ':now': { N: String(now) }, ':oldest': { N: String(now - TTL_IGNORED_AFTER_SECONDS) } },
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of page.Items ?? []) {
        const ttl = item[this.attribute];
        if (ttl?.N === undefined) continue;
        try {
          await dynamo.send(
            new DeleteItemCommand({
              TableName: tableName,
              Key: { [TABLE_SPEC.partitionKey]: item[TABLE_SPEC.partitionKey]!, [TABLE_SPEC.sortKey]: item[TABLE_SPEC.sortKey]! },
              ConditionExpression: '#ttl = :seen',
              ExpressionAttributeNames: { '#ttl': this.attribute },
              ExpressionAttributeValues: { ':seen': ttl },
            }),
          );
          deleted++;
        } catch (error) {
          // Refreshed (or deleted) since the scan: DynamoDB would keep the newer item too.
          if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    this.deleted += deleted;
    return deleted;
  }
}
