/**
 * The deliver handler against a real receiver, one response kind at a time: what is sent, the
 * attempt recorded, the delivery's new state and its effects (queue timer, schedule, dead letter,
 * alert, endpoint state).
 */
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../../lambdas/adapters/dynamo/schema';
import { selfSignedCertificate, startReceiver } from '../../support/receiver';
import { START, startWorld, type Handler, type World } from './world';

describe('deliver handler: outcomes', () => {
  let world: World;
  let handler: Handler;

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world?.stop();
  });
  beforeEach(async () => {
    await world.reset();
    handler = world.handler(world.deps());
  });

  const hook = (path: string) => world.receiver.url(path);

  it('2xx: POSTs the signed envelope once and marks the delivery delivered', async () => {
    world.receiver.on('/ok', () => ({ status: 200, body: 'thanks' }));
    const { endpoint, event, delivery } = await world.seed({ endpoint: { url: hook('/ok'), headers: { 'x-tenant-key': 'abc' } } });

    const run = await world.pump(handler, 1);
    expect(run?.response).toEqual({ batchItemFailures: [] });

    const [request] = world.receiver.requestsTo('/ok');
    expect(world.receiver.requestsTo('/ok')).toHaveLength(1);
    expect(JSON.parse(request!.body)).toEqual({
      id: event.id,
      type: 'order.created',
      timestamp: new Date(START).toISOString(),
      tenant: null,
      data: { order: 42, note: 'ünïcode' },
    });
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Herald-Webhooks/1',
      'x-tenant-key': 'abc',
      'webhook-id': event.id,
      'webhook-timestamp': String(START / 1000),
    });
    // A Standard Webhooks verifier library accepts it (its clock set to the attempt time).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START);
    try {
      expect(new Webhook(endpoint.secrets[0]!.secret).verify(request!.body, request!.headers as Record<string, string>)).toEqual(
        JSON.parse(request!.body),
      );
    } finally {
      vi.useRealTimers();
    }

    expect(await world.delivery(delivery.id)).toEqual({
      ...delivery,
      status: 'delivered',
      attemptCount: 1,
      lastOutcome: { kind: 'http', status: 200 },
      nextAttemptAt: undefined,
      updatedAt: START,
    });
    const item = await world.deliveryItem(delivery.id);
    expect(item).not.toHaveProperty('leaseUntil');
    // A delivered delivery is in no index: the attempt wrote one item, nothing else.
    expect(item).not.toHaveProperty('gsi3pk');
    expect(item).not.toHaveProperty('gsi2pk');
    const attempts = await world.attempts(delivery.id);
    expect(attempts).toEqual([
      {
        deliveryId: delivery.id,
        number: 1,
        startedAt: START,
        latencyMs: attempts[0]!.latencyMs,
        outcome: { kind: 'http', status: 200 },
        responseExcerpt: 'thanks',
        next: { kind: 'delivered' },
      },
    ]);
    expect((await world.endpoint(endpoint.id))!.health).toEqual({ consecutiveFailures: 0, lastSuccessAt: START });
    expect(await world.receive()).toEqual([]);
    expect(world.scheduler.list()).toEqual([]);
  });

  it('410 Gone: cancels the delivery and leaves the endpoint enabled (on410 cancel)', async () => {
    world.receiver.on('/gone', () => ({ status: 410 }));
    const { endpoint, delivery } = await world.seed({ endpoint: { url: hook('/gone') } });
    await world.pump(handler, 1);
    expect(await world.delivery(delivery.id)).toMatchObject({
      status: 'canceled',
      attemptCount: 1,
      finalReason: 'HTTP 410 Gone: the receiver removed this endpoint',
    });
    expect((await world.attempts(delivery.id))[0]!.next).toEqual({
      kind: 'canceled',
      disableEndpoint: false,
      detail: 'HTTP 410 Gone: the receiver removed this endpoint',
    });
    expect((await world.endpoint(endpoint.id))!.disabled).toBe(false);
    expect(await world.dlq()).toEqual([]);
    expect(await world.alerts()).toEqual([]);
  });

  it('410 Gone with on410 cancel_and_disable: cancels, disables the endpoint and alerts', async () => {
    world.receiver.on('/gone2', () => ({ status: 410 }));
    const { endpoint, delivery } = await world.seed({ endpoint: { url: hook('/gone2'), retryPolicy: { on410: 'cancel_and_disable' } } });
    await world.pump(handler, 1);
    expect(await world.delivery(delivery.id)).toMatchObject({
      status: 'canceled',
      finalReason: 'HTTP 410 Gone: the receiver removed this endpoint; endpoint disabled',
    });
    expect(await world.endpoint(endpoint.id)).toMatchObject({
      disabled: true,
      disabledReason: 'the retry policy disables the endpoint on this answer (HTTP 410 Gone: the receiver removed this endpoint; endpoint disabled)',
      updatedAt: START,
    });
    const alerts = await world.alerts(2);
    expect(alerts.map((a) => a.Subject)).toEqual(['Herald: endpoint disabled (127.0.0.1:' + world.receiver.port + ')']);
    expect(alerts[0]!.Message).toContain(endpoint.id);
  });

  it('429 with Retry-After in seconds: the next attempt is that far away, on an SQS message timer', async () => {
    world.receiver.on('/slow', () => ({ status: 429, headers: { 'retry-after': '120' } }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/slow') } });
    await world.pump(handler, 1);
    const at = START + 120_000;
    expect(await world.delivery(delivery.id)).toMatchObject({
      status: 'retrying',
      attemptCount: 1,
      nextAttemptAt: at,
      lastOutcome: { kind: 'http', status: 429, retryAfter: '120' },
    });
    expect((await world.attempts(delivery.id))[0]!.next).toEqual({ kind: 'retry', at, basis: 'retry_after' });
    expect(await world.delayedCount()).toBe(1);
    expect(world.scheduler.list()).toEqual([]);
  });

  it('429 asking for longer than the policy allows: clamped to retryAfter.maxSeconds', async () => {
    world.receiver.on('/slower', () => ({ status: 429, headers: { 'retry-after': '86400' } }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/slower'), retryPolicy: { retryAfter: { maxSeconds: 600 } } } });
    await world.pump(handler, 1);
    expect((await world.delivery(delivery.id))!.nextAttemptAt).toBe(START + 600_000);
    expect(await world.delayedCount()).toBe(1);
  });

  it('503 with Retry-After as an HTTP date beyond 15 minutes: a Scheduler schedule at that time', async () => {
    const retryAt = START + 30 * 60_000;
    world.receiver.on('/maint', () => ({ status: 503, headers: { 'retry-after': new Date(retryAt).toUTCString() } }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/maint') } });
    await world.pump(handler, 1);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'retrying', nextAttemptAt: retryAt });
    expect((await world.attempts(delivery.id))[0]!.next).toEqual({ kind: 'retry', at: retryAt, basis: 'retry_after' });
    const schedule = await world.schedulerClient.send(
      new GetScheduleCommand({ Name: `${delivery.id}-2`, GroupName: world.env.resources.scheduleGroup }),
    );
    expect(schedule).toMatchObject({
      ScheduleExpression: 'at(2030-01-15T12:30:00)',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: world.env.resources.deliveryQueueArn,
        Input: JSON.stringify({ deliveryId: delivery.id, attempt: 2, notBefore: retryAt }),
        DeadLetterConfig: { Arn: world.env.resources.deadLetterQueueArn },
      },
    });
    expect(await world.delayedCount()).toBe(0);
  });

  it('400: dead at once, with its dead-letter message and an alert', async () => {
    world.receiver.on('/bad', () => ({ status: 400, body: '{"error":"unknown field"}' }));
    const { endpoint, event, delivery } = await world.seed({ endpoint: { url: hook('/bad') } });
    await world.pump(handler, 1);
    const reason = 'permanent: HTTP 400 is not retried';
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'dead', attemptCount: 1, finalReason: reason });
    expect(await world.deliveryItem(delivery.id)).toMatchObject({ gsi3pk: expect.stringMatching(/^DEAD#\d$/) });
    expect((await world.attempts(delivery.id))[0]).toMatchObject({
      responseExcerpt: '{"error":"unknown field"}',
      next: { kind: 'dead', reason: 'permanent', detail: 'HTTP 400 is not retried' },
    });
    expect(await world.dlq(2)).toEqual([
      {
        kind: 'delivery_dead',
        deliveryId: delivery.id,
        eventId: event.id,
        eventType: 'order.created',
        tenant: '',
        endpointId: endpoint.id,
        endpointUrl: endpoint.url,
        attempts: 1,
        lastOutcome: { kind: 'http', status: 400 },
        reason,
        deadAt: new Date(START).toISOString(),
      },
    ]);
    const alerts = await world.alerts(2);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.Subject).toBe(`Herald: webhook delivery dead-lettered for 127.0.0.1:${world.receiver.port}`);
    expect(alerts[0]!.Message).toContain(`Delivery:     ${delivery.id}`);
    expect(alerts[0]!.Message).toContain(`Reason:       ${reason}`);
    expect(await world.receive()).toEqual([]);
  });

  it('301: a failed attempt, retried, the redirect not followed', async () => {
    world.receiver.on('/old', () => ({ status: 301, headers: { location: '/new' } }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/old'), retryPolicy: { delays: ['10s'] } } });
    await world.pump(handler, 1);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'retrying', nextAttemptAt: START + 10_000 });
    expect((await world.attempts(delivery.id))[0]!.next).toEqual({ kind: 'retry', at: START + 10_000, basis: 'delays' });
    expect(world.receiver.requestsTo('/new')).toEqual([]);
    expect(await world.delayedCount()).toBe(1);
  });

  it('a receiver hanging past the timeout: a timeout attempt, retried', async () => {
    world.receiver.on('/hang', () => ({ hang: true }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/hang'), timeoutMs: 300, retryPolicy: { delays: ['10s'] } } });
    await world.pump(handler, 1);
    const [attempt] = await world.attempts(delivery.id);
    expect(attempt).toMatchObject({ outcome: { kind: 'timeout' }, error: 'timeout after 300 ms (no complete response within 300 ms)' });
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'retrying', lastOutcome: { kind: 'timeout' } });
  });

  it('a receiver closing the connection mid-request: a reset attempt, retried', async () => {
    world.receiver.on('/drop', () => ({ destroy: true }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/drop'), retryPolicy: { delays: ['10s'] } } });
    await world.pump(handler, 1);
    expect((await world.attempts(delivery.id))[0]!.outcome).toEqual({ kind: 'connect_reset' });
    expect((await world.delivery(delivery.id))!.status).toBe('retrying');
  });

  const cert = selfSignedCertificate();
  it.skipIf(cert === undefined)('a TLS receiver with a self-signed certificate: a TLS attempt, retried', async () => {
    const tls = await startReceiver({ tls: cert! });
    try {
      const { delivery } = await world.seed({ endpoint: { url: tls.url('/secure'), retryPolicy: { delays: ['10s'] } } });
      await world.pump(handler, 1);
      const [attempt] = await world.attempts(delivery.id);
      expect(attempt!.outcome).toEqual({ kind: 'tls' });
      expect(attempt!.error).toMatch(/self.signed/i);
      expect(tls.requests).toEqual([]);
      expect((await world.delivery(delivery.id))!.status).toBe('retrying');
    } finally {
      await tls.close();
    }
  });

  it('a host name resolving to a private address when private targets are not allowed: blocked, never connected, dead', async () => {
    handler = world.handler(world.deps({ config: { allowPrivateTargets: false } }));
    const before = world.receiver.connections;
    const { delivery } = await world.seed({ endpoint: { url: `https://localhost:${world.receiver.port}/private` } });
    await world.pump(handler, 1);
    const [attempt] = await world.attempts(delivery.id);
    expect(attempt!.outcome).toEqual({ kind: 'blocked' });
    expect(attempt!.error).toMatch(/loopback/);
    expect(await world.delivery(delivery.id)).toMatchObject({
      status: 'dead',
      finalReason: 'permanent: the target address is not allowed by the target rules',
    });
    expect(world.receiver.connections).toBe(before);
    expect(await world.dlq(2)).toHaveLength(1);
  });

  it('a deleted endpoint: the delivery is canceled without a request', async () => {
    const { endpoint, delivery } = await world.seed({ endpoint: { url: hook('/deleted') } });
    await world.env.clients.doc.send(new DeleteCommand({ TableName: world.env.resources.tableName, Key: keys.endpoint(endpoint.id) }));
    const run = await world.pump(handler, 1);
    expect(run?.response).toEqual({ batchItemFailures: [] });
    expect(world.receiver.requestsTo('/deleted')).toEqual([]);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'canceled', attemptCount: 0, finalReason: 'endpoint deleted' });
    expect(await world.attempts(delivery.id)).toEqual([]);
  });

  it('a disabled endpoint: the delivery waits (parked), then expires at its maximum age', async () => {
    const { delivery } = await world.seed({
      endpoint: { url: hook('/disabled'), disabled: true, disabledReason: 'paused by operator', retryPolicy: { maxAgeSeconds: 7200 } },
    });
    await world.pump(handler, 1);
    expect(world.receiver.requestsTo('/disabled')).toEqual([]);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'pending', attemptCount: 0, nextAttemptAt: START + 3_600_000 });
    expect(await world.deliveryItem(delivery.id)).toMatchObject({ gsi2pk: expect.stringMatching(/^WAIT#\d$/) });

    // The sweep re-enqueues it when due; still disabled after the maximum age: dead, dead-lettered.
    world.clock.advance(7200_000);
    await world.env.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: world.env.resources.deliveryQueueUrl,
        MessageBody: JSON.stringify({ deliveryId: delivery.id, attempt: 1, redelivery: true }),
      }),
    );
    await world.pump(handler, 1);
    expect(world.receiver.requestsTo('/disabled')).toEqual([]);
    expect(await world.delivery(delivery.id)).toMatchObject({
      status: 'dead',
      attemptCount: 0,
      finalReason: 'expired: the endpoint is disabled (paused by operator) and the delivery reached its maximum age',
    });
    expect(await world.dlq(2)).toMatchObject([{ deliveryId: delivery.id, attempts: 0 }]);
  });

  it('a re-enabled endpoint gets its parked delivery', async () => {
    world.receiver.on('/back', () => ({ status: 200 }));
    const { endpoint, delivery } = await world.seed({ endpoint: { url: hook('/back'), disabled: true } });
    await world.pump(handler, 1);
    expect(world.receiver.requestsTo('/back')).toEqual([]);
    await world.saveEndpoint({ ...endpoint, disabled: false });
    // The sweep's message when the recheck is due: a possible duplicate, so the worker reads the parked item.
    await world.env.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: world.env.resources.deliveryQueueUrl,
        MessageBody: JSON.stringify({ deliveryId: delivery.id, attempt: 1, redelivery: true }),
      }),
    );
    await world.pump(handler, 1);
    expect(world.receiver.requestsTo('/back')).toHaveLength(1);
    expect((await world.delivery(delivery.id))!.status).toBe('delivered');
  });

  it('acknowledges malformed messages and unknown deliveries without failing the batch', async () => {
    world.receiver.on('/mixed', () => ({ status: 200 }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/mixed') } });
    for (const body of ['not json', '{"deliveryId":"x"}', '{"deliveryId":"dlv_nope","attempt":1}']) {
      await world.env.clients.sqs.send(new SendMessageCommand({ QueueUrl: world.env.resources.deliveryQueueUrl, MessageBody: body }));
    }
    const messages = await world.receive(1);
    expect(messages).toHaveLength(4);
    const response = await handler(world.toEvent(messages), (await import('../../../local/lambda-context')).lambdaContext('deliver', 60_000));
    expect(response).toEqual({ batchItemFailures: [] });
    expect((await world.delivery(delivery.id))!.status).toBe('delivered');
    expect(world.logs.filter((l) => l.message.startsWith('malformed delivery message'))).toHaveLength(2);
    expect(world.logs.filter((l) => l.message.startsWith('delivery not found'))).toHaveLength(1);
  });
});
