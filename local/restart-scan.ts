/**
 * Local mode's scan of its table after a restart (lambdas/use-cases/restart-recovery.ts): what is unfinished. The
 * deployed Lambdas never scan (their role has no `dynamodb:Scan`); the local table is small.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemToDelivery, itemToEvent, type Item } from '../lambdas/adapters/dynamo/schema';
import { deliveryId } from '../lambdas/core/ids';
import { isFinal, unattemptedDelivery, type Delivery, type HeraldEvent } from '../lambdas/core/model';

/** Every stored non-final delivery, and a pending delivery for every unskipped fan-out entry without an item. */
export async function scanUnfinished(doc: DynamoDBDocumentClient, tableName: string): Promise<Delivery[]> {
  const stored = new Map<string, Delivery>();
  const events: HeraldEvent[] = [];
  let start: Item | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) {
      if (item.entity === 'delivery') {
        const d = itemToDelivery(item);
        stored.set(d.id, d);
      } else if (item.entity === 'event') {
        events.push(itemToEvent(item));
      }
    }
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  const unfinished = [...stored.values()].filter((d) => !isFinal(d.status));
  for (const event of events) {
    for (const entry of event.fanOut) {
      if (!entry.skipped && !stored.has(deliveryId(event.key, entry.endpointId))) unfinished.push(unattemptedDelivery(event, entry));
    }
  }
  return unfinished;
}
