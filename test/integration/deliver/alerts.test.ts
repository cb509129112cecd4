/**
 * Alert coalescing per endpoint and endpoint health (failing streak, automatic disabling).
 */
import { NO_OPERATIONAL_EVENTS } from '../../../lambdas/ports/operational-events';
import { NO_TENANT_NOTICES } from '../../../lambdas/ports/tenant-notices';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../../lambdas/adapters/dynamo/delivery-store';
import { SnsAlerts } from '../../../lambdas/adapters/sns-alerts';
import { flushAlerts } from '../../../lambdas/use-cases/deliver/flush-alerts';
import { lambdaContext } from '../../../local/lambda-context';
import { captureLogger, START, startWorld, type Handler, type World } from './world';

describe('deliver handler: alerts and endpoint health', () => {
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

  const flush = () =>
    flushAlerts({
      store: new DynamoDeliveryStore(world.env.clients.doc, { tableName: world.env.resources.tableName, retentionDays: 30 }),
      alerts: new SnsAlerts(world.env.clients.sns, world.env.resources.alertTopicArn),
      operational: NO_OPERATIONAL_EVENTS,
      notices: NO_TENANT_NOTICES,
      clock: world.clock,
      log: captureLogger(world.logs),
    });

  it('coalesces five dead letters of one endpoint into one alert, then one summary of the other four', async () => {
    world.receiver.on('/reject', () => ({ status: 422 }));
    const first = await world.seed({ endpoint: { url: world.receiver.url('/reject') } });
    const rest = [];
    for (let i = 0; i < 4; i++) rest.push(await world.seed({ endpoint: first.endpoint }));
    const messages = await world.receive(1);
    expect(messages).toHaveLength(5);
    // One invocation per message, in the order they were published, ten seconds apart.
    for (const { delivery } of [first, ...rest]) {
      const message = messages.find((m) => JSON.parse(m.Body!).deliveryId === delivery.id)!;
      expect(await handler(world.toEvent([message]), lambdaContext('deliver', 60_000))).toEqual({ batchItemFailures: [] });
      world.clock.advance(10_000);
    }
    expect(world.receiver.requestsTo('/reject')).toHaveLength(5);
    expect(await world.dlq(2)).toHaveLength(5);
    const alerts = await world.alerts(2);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.Message).toContain(`Delivery:     ${first.delivery.id}`);
    expect(alerts[0]!.Message).toContain('in the next 5m are counted');

    // Within the window nothing is flushed.
    expect(await flush()).toBe(0);

    world.clock.t = START + 300_000;
    expect(await flush()).toBe(1);
    const [summary] = await world.alerts(2);
    expect(summary!.Subject).toBe(`Herald: 4 more dead-lettered deliveries for 127.0.0.1:${world.receiver.port}`);
    expect(summary!.Message).toContain('Count:    4');
    expect(summary!.Message).toContain(`Examples: ${rest.map((r) => r.delivery.id).join(', ')}`);
    expect(summary!.Message).toContain(`Window:   ${new Date(START).toISOString()} to ${new Date(START + 300_000).toISOString()}`);

    // Reported once only.
    expect(await flush()).toBe(0);
    expect(await world.alerts()).toEqual([]);

    // The next dead letter after the window opens a new one: alerted at once again.
    await world.seed({ endpoint: first.endpoint });
    await world.pump(handler, 1);
    expect(await world.alerts(2)).toHaveLength(1);
  });

  it('coalesces dead letters that happen at the same moment (one batch, concurrently)', async () => {
    world.receiver.on('/reject-all', () => ({ status: 404 }));
    const first = await world.seed({ endpoint: { url: world.receiver.url('/reject-all') } });
    const ids = [first.delivery.id];
    for (let i = 0; i < 4; i++) ids.push((await world.seed({ endpoint: first.endpoint })).delivery.id);
    const run = await world.pump(handler, 1);
    expect(run?.messages).toHaveLength(5);
    expect(await world.alerts(2)).toHaveLength(1);
    world.clock.advance(300_000);
    expect(await flush()).toBe(1);
    const [summary] = await world.alerts(2);
    expect(summary!.Message).toContain('Count:    4');
    const examples = /Examples: (.*)/.exec(summary!.Message)![1]!.split(', ');
    expect(examples).toHaveLength(4);
    expect(ids).toEqual(expect.arrayContaining(examples));
  });

  it('keeps each endpoint in its own window', async () => {
    world.receiver.on('/r1', () => ({ status: 400 }));
    world.receiver.on('/r2', () => ({ status: 400 }));
    await world.seed({ endpoint: { url: world.receiver.url('/r1') } });
    await world.seed({ endpoint: { url: world.receiver.url('/r2') } });
    await world.pump(handler, 1);
    expect(await world.alerts(2)).toHaveLength(2);
  });

  it('a dead letter after an ended but unflushed window reports the held-back ones with it', async () => {
    world.receiver.on('/late', () => ({ status: 400 }));
    const a = await world.seed({ endpoint: { url: world.receiver.url('/late') } });
    await world.pump(handler, 1);
    const b = await world.seed({ endpoint: a.endpoint });
    await world.pump(handler, 1);
    expect(await world.alerts(2)).toHaveLength(1);

    world.clock.advance(301_000);
    await world.seed({ endpoint: a.endpoint });
    await world.pump(handler, 1);
    const [alert] = await world.alerts(2);
    expect(alert!.Message).toContain(`Also, 1 earlier dead letter(s) of this endpoint`);
    expect(alert!.Message).toContain(`Examples: ${b.delivery.id}.`);
    expect(await flush()).toBe(0);
  });

  it('a success ends the failing streak', async () => {
    world.receiver.on('/healthy', () => ({ status: 200 }));
    const { endpoint } = await world.seed({
      endpoint: { url: world.receiver.url('/healthy'), health: { consecutiveFailures: 7, failingSince: START - 3_600_000, lastFailureAt: START - 60_000 } },
    });
    await world.pump(handler, 1);
    expect((await world.endpoint(endpoint.id))!.health).toEqual({ consecutiveFailures: 0, lastSuccessAt: START, lastFailureAt: START - 60_000 });
  });

  it('an endpoint failing for longer than disableAfterSeconds is disabled, with one alert', async () => {
    world.receiver.on('/dying', () => ({ status: 500 }));
    const failingSince = START - 5 * 86_400_000;
    const { endpoint } = await world.seed({
      endpoint: {
        url: world.receiver.url('/dying'),
        retryPolicy: { delays: ['1h'] },
        health: { consecutiveFailures: 40, failingSince, lastFailureAt: START - 60_000 },
      },
    });
    await world.pump(handler, 1);

    const reason = `failing since ${new Date(failingSince).toISOString()} with no successful delivery (41 failed attempts in a row; the limit is 120 h)`;
    expect(await world.endpoint(endpoint.id)).toMatchObject({
      disabled: true,
      disabledReason: reason,
      health: { consecutiveFailures: 41, failingSince, lastFailureAt: START },
    });
    const alerts = await world.alerts(2);
    expect(alerts.map((a) => a.Subject)).toEqual([`Herald: endpoint disabled (127.0.0.1:${world.receiver.port})`]);
    expect(alerts[0]!.Message).toContain(reason);

    // The next delivery to it waits instead of being sent, and nothing is alerted again.
    const next = await world.seed({ endpoint: { ...endpoint, disabled: true, disabledReason: reason } , enqueue: true });
    await world.pump(handler, 1);
    expect(world.receiver.requestsTo('/dying')).toHaveLength(1);
    expect(await world.delivery(next.delivery.id)).toMatchObject({ status: 'pending', attemptCount: 0 });
    expect(await world.alerts()).toEqual([]);
  });

  it('a policy with autoDisable off (virtuous) keeps a long-failing endpoint enabled and keeps retrying', async () => {
    world.receiver.on('/recovers', () => ({ status: 500 }));
    const failingSince = START - 9 * 86_400_000;
    const { endpoint, delivery } = await world.seed({
      endpoint: {
        url: world.receiver.url('/recovers'),
        retryPolicy: { preset: 'virtuous' },
        health: { consecutiveFailures: 400, failingSince, lastFailureAt: START - 60_000 },
      },
    });
    await world.pump(handler, 1);
    expect(await world.endpoint(endpoint.id)).toMatchObject({ disabled: false, health: { consecutiveFailures: 401, failingSince } });
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'retrying', attemptCount: 1 });
    expect(await world.alerts()).toEqual([]);
  });

  it('two failures at once disable the endpoint once, with one alert', async () => {
    world.receiver.on('/dying2', () => ({ status: 500 }));
    const failingSince = START - 6 * 86_400_000;
    const { endpoint } = await world.seed({
      endpoint: { url: world.receiver.url('/dying2'), retryPolicy: { delays: ['1h'] }, health: { consecutiveFailures: 9, failingSince } },
    });
    await world.seed({ endpoint });
    const run = await world.pump(handler, 1);
    expect(run?.messages).toHaveLength(2);
    expect(world.receiver.requestsTo('/dying2')).toHaveLength(2);
    expect(await world.endpoint(endpoint.id)).toMatchObject({ disabled: true, health: { consecutiveFailures: 11, failingSince } });
    expect(await world.alerts(2)).toHaveLength(1);
  });

  it('does not disable an endpoint whose streak is younger than the limit', async () => {
    world.receiver.on('/wobbly', () => ({ status: 500 }));
    const { endpoint } = await world.seed({
      endpoint: {
        url: world.receiver.url('/wobbly'),
        retryPolicy: { delays: ['1h'] },
        health: { consecutiveFailures: 2, failingSince: START - 5 * 86_400_000 + 1 },
      },
    });
    await world.pump(handler, 1);
    expect(await world.endpoint(endpoint.id)).toMatchObject({ disabled: false, health: { consecutiveFailures: 3 } });
    expect(await world.alerts()).toEqual([]);
  });
});
