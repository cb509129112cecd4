/**
 * Local mode's scan of its table after a restart (lambdas/use-cases/restart-recovery.ts): what is unfinished. The
 * deployed Lambdas never scan (their role has no `dynamodb:Scan`); the local table is small.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemToDelivery, itemToEvent, type Item } from '../lambdas/adapters/dynamo/schema';
import type { ContactOwner } from '../lambdas/core/contacts';
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

/**
 * Every stored e-mail contact (of a tenant or an endpoint) with its owner: fauxqs keeps subscriptions in memory, so
 * after a restart local mode subscribes their mailboxes again (local/mailboxes.ts; the ids are deterministic, so the
 * stored subscription ids stay right).
 */
export async function scanEmailContacts(doc: DynamoDBDocumentClient, tableName: string): Promise<{ email: string; owner: ContactOwner }[]> {
  const found: { email: string; owner: ContactOwner }[] = [];
  let start: Item | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) {
      const email = (item.contacts as { email?: string } | undefined)?.email;
      if (email === undefined) continue;
      if (item.entity === 'contacts') found.push({ email, owner: { kind: 'tenant', tenant: item.tenant as string } });
      else if (item.entity === 'endpoint') found.push({ email, owner: { kind: 'endpoint', endpointId: item.id as string } });
    }
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return found;
}
