/**
 * A first-attempt message that carries its event (core/inline-event.ts): the worker delivers from the copy and reads
 * no event item; a copy that does not belong to the delivery is ignored and the event is read (the real worker on
 * the emulators).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { keys } from '../../../lambdas/adapters/dynamo/schema';
import { inlineEvent } from '../../../lambdas/core/inline-event';
import type { HeraldEvent } from '../../../lambdas/core/model';
import { useWorld, type Handler, type World } from './world';

describe('deliver handler: a message that carries its event', () => {
  let handler: Handler;
  const getWorld = useWorld((w) => {
    handler = w.handler(w.deps());
  });
  let world: World;
  beforeEach(() => {
    world = getWorld();
  });

  async function send(body: Record<string, unknown>): Promise<void> {
    await world.env.clients.sqs.send(new SendMessageCommand({ QueueUrl: world.env.resources.deliveryQueueUrl, MessageBody: JSON.stringify(body) }));
  }

  async function forgetEvent(event: HeraldEvent): Promise<void> {
    await world.env.clients.doc.send(new DeleteCommand({ TableName: world.env.resources.tableName, Key: keys.event(event.key) }));
  }

  it('delivers from the copy without reading the event item', async () => {
    world.receiver.on('/carried', () => ({ status: 200 }));
    const { endpoint, event, delivery } = await world.seed({ endpoint: { url: world.receiver.url('/carried') }, enqueue: false });
    const carried = inlineEvent(event, true, endpoint.id);
    expect(carried).toBeDefined();
    // With the event item gone, only the copy can give the worker the payload.
    await forgetEvent(event);
    await send({ deliveryId: delivery.id, attempt: 1, event: carried });
    expect((await world.pump(handler, 1))?.response).toEqual({ batchItemFailures: [] });

    const requests = world.receiver.requestsTo('/carried');
    expect(requests).toHaveLength(1);
    expect(JSON.parse(requests[0]!.body)).toMatchObject({ id: event.id, type: event.type, data: event.data });
    // Read by its key: the test helpers find a delivery through its event, which is gone.
    const stored = await world.env.clients.doc.send(
      new GetCommand({ TableName: world.env.resources.tableName, Key: keys.delivery({ endpointId: endpoint.id, eventKey: event.key, createdAt: event.createdAt }) }),
    );
    expect(stored.Item).toMatchObject({ status: 'delivered', attemptCount: 1, eventId: event.id });
  });

  it('ignores a copy of another delivery\'s event and reads the delivery\'s own', async () => {
    world.receiver.on('/own', () => ({ status: 200 }));
    const mine = await world.seed({ endpoint: { url: world.receiver.url('/own') }, enqueue: false });
    const other = await world.seed({ endpoint: { url: world.receiver.url('/own') }, event: { data: { not: 'mine' } }, enqueue: false });
    await send({ deliveryId: mine.delivery.id, attempt: 1, event: inlineEvent(other.event, true, other.endpoint.id) });
    await world.pump(handler, 1);

    const requests = world.receiver.requestsTo('/own');
    expect(requests).toHaveLength(1);
    expect(JSON.parse(requests[0]!.body)).toMatchObject({ id: mine.event.id, data: mine.event.data });
  });
});
