import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ValidationException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { EventBridgeRetryScheduler, atExpression } from '../../../lambdas/adapters/scheduler';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/emulators';
import { parseAtExpression, startSchedulerEmulator, type SchedulerEmulator } from '../../../local/scheduler-emulator';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';
import { ManualClock, START } from './world';

describe('local EventBridge Scheduler emulator, through the real @aws-sdk/client-scheduler', () => {
  let env: TestEnvironment;
  let clock: ManualClock;
  let emulator: SchedulerEmulator;
  let client: SchedulerClient;

  const input = (name: string, at: string, extra: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput => ({
    Name: name,
    GroupName: 'herald',
    ScheduleExpression: at,
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: {
      Arn: env.resources.deliveryQueueArn,
      RoleArn: 'arn:aws:iam::000000000000:role/scheduler',
      Input: JSON.stringify({ deliveryId: name, attempt: 2 }),
      RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
    },
    ...extra,
  });

  beforeAll(async () => {
    env = await startTestEnvironment();
    clock = new ManualClock(START);
    emulator = await startSchedulerEmulator({ sqs: env.clients.sqs, clock });
    client = new SchedulerClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: emulator.endpoint, maxAttempts: 1 });
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.stop();
    await env?.stop();
  });
  beforeEach(async () => {
    await emulator.clear();
    await env.purgeQueues();
    clock.t = START;
  });

  it('creates a schedule and reads it back with every field', async () => {
    const created = await client.send(new CreateScheduleCommand(input('dlv_a-2', 'at(2030-01-15T12:05:00)', { Description: 'retry' })));
    expect(created.ScheduleArn).toBe(`arn:aws:scheduler:us-east-1:000000000000:schedule/herald/dlv_a-2`);
    const got = await client.send(new GetScheduleCommand({ Name: 'dlv_a-2', GroupName: 'herald' }));
    expect(got).toMatchObject({
      Arn: created.ScheduleArn,
      Name: 'dlv_a-2',
      GroupName: 'herald',
      ScheduleExpression: 'at(2030-01-15T12:05:00)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      Description: 'retry',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: env.resources.deliveryQueueArn,
        RoleArn: 'arn:aws:iam::000000000000:role/scheduler',
        Input: '{"deliveryId":"dlv_a-2","attempt":2}',
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      },
    });
    expect(got.CreationDate).toEqual(new Date(START));
  });

  it('answers a duplicate name with the ConflictException the SDK knows', async () => {
    await client.send(new CreateScheduleCommand(input('dup', 'at(2030-01-15T12:05:00)')));
    const error = await client.send(new CreateScheduleCommand(input('dup', 'at(2030-01-15T13:00:00)'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictException);
    expect((error as ConflictException).$metadata.httpStatusCode).toBe(409);
    // The first schedule is untouched; the same name in another group is a different schedule.
    expect((await client.send(new GetScheduleCommand({ Name: 'dup', GroupName: 'herald' }))).ScheduleExpression).toBe('at(2030-01-15T12:05:00)');
    await client.send(new CreateScheduleCommand(input('dup', 'at(2030-01-15T13:00:00)', { GroupName: 'other' })));
  });

  it('answers ResourceNotFoundException for a missing schedule, and deletes', async () => {
    await expect(client.send(new GetScheduleCommand({ Name: 'nope', GroupName: 'herald' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new DeleteScheduleCommand({ Name: 'nope', GroupName: 'herald' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await client.send(new CreateScheduleCommand(input('gone', 'at(2030-01-15T12:05:00)')));
    await client.send(new DeleteScheduleCommand({ Name: 'gone', GroupName: 'herald' }));
    await expect(client.send(new GetScheduleCommand({ Name: 'gone', GroupName: 'herald' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('rejects what it does not emulate with a ValidationException', async () => {
    await expect(client.send(new CreateScheduleCommand(input('rate', 'rate(5 minutes)')))).rejects.toBeInstanceOf(ValidationException);
    await expect(client.send(new CreateScheduleCommand(input('bad-date', 'at(2030-02-30T00:00:00)')))).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(
      client.send(new CreateScheduleCommand(input('zone', 'at(2030-01-15T12:05:00)', { ScheduleExpressionTimezone: 'Europe/Paris' }))),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('lists schedules by group and name prefix, paginated', async () => {
    for (const name of ['dlv_b-2', 'dlv_b-3', 'dlv_c-2']) {
      await client.send(new CreateScheduleCommand(input(name, 'at(2030-01-15T12:05:00)')));
    }
    await client.send(new CreateScheduleCommand(input('dlv_b-9', 'at(2030-01-15T12:05:00)', { GroupName: 'other' })));
    const all = await client.send(new ListSchedulesCommand({ GroupName: 'herald' }));
    expect(all.Schedules?.map((s) => s.Name)).toEqual(['dlv_b-2', 'dlv_b-3', 'dlv_c-2']);
    expect(all.Schedules?.[0]).toMatchObject({ GroupName: 'herald', State: 'ENABLED', Target: { Arn: env.resources.deliveryQueueArn } });
    const prefixed = await client.send(new ListSchedulesCommand({ GroupName: 'herald', NamePrefix: 'dlv_b' }));
    expect(prefixed.Schedules?.map((s) => s.Name)).toEqual(['dlv_b-2', 'dlv_b-3']);
    const page1 = await client.send(new ListSchedulesCommand({ GroupName: 'herald', MaxResults: 2 }));
    const page2 = await client.send(new ListSchedulesCommand({ GroupName: 'herald', MaxResults: 2, NextToken: page1.NextToken }));
    expect([...(page1.Schedules ?? []), ...(page2.Schedules ?? [])].map((s) => s.Name)).toEqual(['dlv_b-2', 'dlv_b-3', 'dlv_c-2']);
    expect(page2.NextToken).toBeUndefined();
  });

  it('fires a schedule at its time into the SQS queue and deletes it', async () => {
    await client.send(new CreateScheduleCommand(input('fire-1', 'at(2030-01-15T12:01:00)')));
    expect(await emulator.fireDue()).toEqual([]);
    clock.advance(59_999);
    expect(await emulator.fireDue()).toEqual([]);
    expect(await env.drain(env.resources.deliveryQueueUrl)).toEqual([]);
    clock.advance(1);
    expect(await emulator.fireDue()).toEqual(['fire-1']);
    const messages = await env.drain(env.resources.deliveryQueueUrl, { waitSeconds: 1 });
    expect(messages.map((m) => m.Body)).toEqual(['{"deliveryId":"fire-1","attempt":2}']);
    await expect(client.send(new GetScheduleCommand({ Name: 'fire-1', GroupName: 'herald' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    expect(await emulator.fireDue()).toEqual([]);
  });

  it('keeps a fired schedule without ActionAfterCompletion DELETE, and never fires it twice', async () => {
    await client.send(new CreateScheduleCommand(input('keep', 'at(2030-01-15T12:00:00)', { ActionAfterCompletion: 'NONE' })));
    expect(await emulator.fireDue()).toEqual(['keep']);
    expect(await emulator.fireDue()).toEqual([]);
    expect((await client.send(new GetScheduleCommand({ Name: 'keep', GroupName: 'herald' }))).Name).toBe('keep');
    expect(await env.drain(env.resources.deliveryQueueUrl, { waitSeconds: 1 })).toHaveLength(1);
  });

  it('does not fire a disabled schedule', async () => {
    await client.send(new CreateScheduleCommand(input('off', 'at(2030-01-15T12:00:00)', { State: 'DISABLED' })));
    expect(await emulator.fireDue()).toEqual([]);
  });

  it('keeps schedules in its file across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-scheduler-'));
    const persistPath = join(dir, 'schedules.json');
    try {
      const first = await startSchedulerEmulator({ sqs: env.clients.sqs, clock, persistPath });
      const c1 = new SchedulerClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: first.endpoint, maxAttempts: 1 });
      await c1.send(new CreateScheduleCommand(input('persisted', 'at(2030-01-15T12:10:00)')));
      c1.destroy();
      await first.stop();

      const second = await startSchedulerEmulator({ sqs: env.clients.sqs, clock, persistPath });
      try {
        expect(second.list().map((s) => [s.Name, s.fireAt])).toEqual([['persisted', Date.UTC(2030, 0, 15, 12, 10, 0)]]);
        clock.advance(10 * 60_000);
        expect(await second.fireDue()).toEqual(['persisted']);
      } finally {
        await second.stop();
      }
      const third = await startSchedulerEmulator({ sqs: env.clients.sqs, clock, persistPath });
      expect(third.list()).toEqual([]);
      await third.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fires on its own in real-time mode', async () => {
    const live = await startSchedulerEmulator({ sqs: env.clients.sqs });
    const c = new SchedulerClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: live.endpoint, maxAttempts: 1 });
    try {
      live.startTimer(50);
      await c.send(new CreateScheduleCommand(input('live', atExpression(Date.now()))));
      const messages = await env.drain(env.resources.deliveryQueueUrl, { waitSeconds: 3 });
      expect(messages.map((m) => m.Body)).toEqual(['{"deliveryId":"live","attempt":2}']);
      expect(live.list()).toEqual([]);
    } finally {
      c.destroy();
      await live.stop();
    }
  });

  it('parses at() expressions strictly', () => {
    expect(parseAtExpression('at(2030-01-15T12:01:02)')).toBe(Date.UTC(2030, 0, 15, 12, 1, 2));
    expect(parseAtExpression('at(2030-01-15T24:00:00)')).toBeUndefined();
    expect(parseAtExpression('at(2030-01-15 12:00:00)')).toBeUndefined();
    expect(parseAtExpression('cron(0 12 * * ? *)')).toBeUndefined();
  });

  describe('EventBridgeRetryScheduler (the adapter the worker uses)', () => {
    const adapter = () =>
      new EventBridgeRetryScheduler(client, {
        groupName: 'herald',
        queueArn: env.resources.deliveryQueueArn,
        roleArn: 'arn:aws:iam::000000000000:role/scheduler',
      });

    it('creates the one-time schedule Herald needs, rounding the time up to the next second', async () => {
      await adapter().scheduleAt('dlv_x-3', START + 3_600_000 + 1, { deliveryId: 'dlv_x', attempt: 3 });
      const got = await client.send(new GetScheduleCommand({ Name: 'dlv_x-3', GroupName: 'herald' }));
      expect(got).toMatchObject({
        ScheduleExpression: 'at(2030-01-15T13:00:01)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: {
          Arn: env.resources.deliveryQueueArn,
          RoleArn: 'arn:aws:iam::000000000000:role/scheduler',
          Input: '{"deliveryId":"dlv_x","attempt":3}',
          RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
        },
      });
    });

    it('treats a repeated create (a crash after the first) as success, and a repeated cancel too', async () => {
      await adapter().scheduleAt('dlv_y-2', START + 60_000, { deliveryId: 'dlv_y', attempt: 2 });
      await adapter().scheduleAt('dlv_y-2', START + 60_000, { deliveryId: 'dlv_y', attempt: 2 });
      expect(emulator.list().map((s) => s.Name)).toEqual(['dlv_y-2']);
      await adapter().cancel('dlv_y-2');
      await adapter().cancel('dlv_y-2');
      expect(emulator.list()).toEqual([]);
    });

    it('refuses a name the Scheduler would refuse', async () => {
      await expect(adapter().scheduleAt('has space', START, { deliveryId: 'x', attempt: 1 })).rejects.toThrow(/invalid schedule name/);
    });
  });
});
