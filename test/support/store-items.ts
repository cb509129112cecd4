/**
 * Direct access to delivery items for the API and sweep tests: where a delivery is stored (its event gives the
 * creation time), reading it, and writing a state the way the deliver worker does (through the shared schema).
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoEventStore } from '../../lambdas/adapters/dynamo/event-store';
import { attemptToInline, deliveryToItem, deliveryExpiresAt, keys } from '../../lambdas/adapters/dynamo/schema';
import { parseDeliveryId } from '../../lambdas/core/ids';
import { isFinal, type Attempt, type Delivery } from '../../lambdas/core/model';
import type { TestEnvironment } from './emulators';

/** The table key of a delivery. */
export async function deliveryKey(env: TestEnvironment, id: string): Promise<{ pk: string; sk: string }> {
  const parsed = parseDeliveryId(id);
  if (parsed === undefined) throw new Error(`not a delivery id: ${id}`);
  const out = await env.clients.doc.send(new GetCommand({ TableName: env.resources.tableName, Key: keys.event(parsed.eventKey), ConsistentRead: true }));
  if (out.Item === undefined) throw new Error(`no event for delivery ${id}`);
  return keys.delivery({ ...parsed, createdAt: out.Item.createdAt as number });
}

/** The delivery as the API reads it (pending from its event's fan-out when it has no item yet), with its attempts. */
export async function readDelivery(env: TestEnvironment, id: string): Promise<Delivery> {
  const read = await new DynamoEventStore(env.clients.doc, env.resources.tableName, 30).getDelivery(id);
  if (read === undefined) throw new Error(`no delivery ${id}`);
  return read.delivery;
}

/** The raw item of a delivery, or undefined when it has none. */
export async function readDeliveryItem(env: TestEnvironment, id: string): Promise<Record<string, unknown> | undefined> {
  const out = await env.clients.doc.send(new GetCommand({ TableName: env.resources.tableName, Key: await deliveryKey(env, id), ConsistentRead: true }));
  return out.Item;
}

/**
 * Writes a delivery's whole item: its state and attempts (a waiting one indexed as a long wait, as a Scheduler retry
 * is, so the sweep sees it).
 */
export async function writeDelivery(env: TestEnvironment, delivery: Delivery, attempts: readonly Attempt[] = delivery.attempts ?? []): Promise<void> {
  const longWait = !isFinal(delivery.status) && delivery.nextAttemptAt !== undefined;
  const item = deliveryToItem(
    delivery,
    attempts.map((a) => attemptToInline(a).inline),
    { longWait },
    deliveryExpiresAt(delivery, delivery.updatedAt, 30),
  );
  await env.clients.doc.send(new PutCommand({ TableName: env.resources.tableName, Item: item }));
}
