import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  GetScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ValidationException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { EventBridgeRetryScheduler } from '../../../lambdas/adapters/scheduler';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/emulators';
import { parseAtExpression, startSchedulerEmulator, type SchedulerEmulator } from '../../../local/scheduler-emulator';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';
import { ManualClock, START } from './world';

describe('local EventBridge Scheduler emulator, through the real @aws-sdk/client-scheduler', () => {
  let env: TestEnvironment;
  let clock: ManualClock;
  let emulator: SchedulerEmulator;
  let client: SchedulerClient;
  /** The emulator's random source: which second of its minute a schedule fires at (0 → :00). */
  let random = 0;

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
    emulator = await startSchedulerEmulator({ sqs: env.clients.sqs, clock, random: () => random, groups: ['herald', 'other'] });
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
    random = 0;
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

  it('refuses what the service refuses, with the exception the SDK knows', async () => {
    const at = 'at(2030-01-15T12:05:00)';
    const target = input('t', at).Target!;
    const refused: [string, CreateScheduleCommandInput][] = [
      ['a name with a space', input('has space', at)],
      ['a name over 64 characters', input('x'.repeat(65), at)],
      ['a description over 512 characters', input('d', at, { Description: 'x'.repeat(513) })],
      ['a target input over 8192 characters', input('i', at, { Target: { ...target, Input: 'x'.repeat(8193) } })],
      ['an empty target input', input('e', at, { Target: { ...target, Input: '' } })],
      ['a role that is not an IAM role ARN', input('r', at, { Target: { ...target, RoleArn: 'arn:aws:sqs:us-east-1:000000000000:q' } })],
      ['an event age under 60 s', input('a', at, { Target: { ...target, RetryPolicy: { MaximumEventAgeInSeconds: 59 } } })],
      ['more than 185 retries', input('n', at, { Target: { ...target, RetryPolicy: { MaximumRetryAttempts: 186 } } })],
      ['a FIFO dead-letter queue', input('f', at, { Target: { ...target, DeadLetterConfig: { Arn: `${env.resources.deadLetterQueueArn}.fifo` } } })],
      ['a flexible window without its minutes', input('w', at, { FlexibleTimeWindow: { Mode: 'FLEXIBLE' } })],
      ['a flexible window over 1440 minutes', input('w2', at, { FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1441 } })],
      ['an unknown state', input('s', at, { State: 'PAUSED' as never })],
      ['an unknown completion action', input('c', at, { ActionAfterCompletion: 'ARCHIVE' as never })],
    ];
    for (const [what, request] of refused) {
      const error = await client.send(new CreateScheduleCommand(request)).catch((e: unknown) => e);
      expect(error, what).toBeInstanceOf(ValidationException);
    }
    const unknownGroup = await client.send(new CreateScheduleCommand(input('g', at, { GroupName: 'nope' }))).catch((e: unknown) => e);
    expect(unknownGroup).toBeInstanceOf(ResourceNotFoundException);
    expect((unknownGroup as Error).message).toBe('Schedule group nope does not exist.');
    expect(emulator.list()).toEqual([]);
  });

  it('has schedule groups as resources: created through the SDK, a second create conflicts, a schedule may then use it', async () => {
    await expect(client.send(new GetScheduleGroupCommand({ Name: 'fresh' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    const created = await client.send(new CreateScheduleGroupCommand({ Name: 'fresh' }));
    expect(created.ScheduleGroupArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule-group/fresh');
    await expect(client.send(new CreateScheduleGroupCommand({ Name: 'fresh' }))).rejects.toBeInstanceOf(ConflictException);
    await client.send(new CreateScheduleCommand(input('in-fresh', 'at(2030-01-15T12:05:00)', { GroupName: 'fresh' })));
    expect(emulator.get('fresh', 'in-fresh')?.Name).toBe('in-fresh');
  });

  it('fires at a random second of the minute of its expression, as the service does (60-second precision)', async () => {
    // at(12:05:40): the service fires anywhere from 12:05:00 to 12:05:59, so possibly 40 s early.
    random = 0;
    await client.send(new CreateScheduleCommand(input('early', 'at(2030-01-15T12:05:40)')));
    random = 0.999;
    await client.send(new CreateScheduleCommand(input('late', 'at(2030-01-15T12:05:40)')));
    random = 0.5;
    await client.send(new CreateScheduleCommand(input('middle', 'at(2030-01-15T12:05:40)')));
    expect(emulator.list().map((s) => [s.Name, new Date(s.fireAt).toISOString()])).toEqual([
      ['early', '2030-01-15T12:05:00.000Z'],
      ['middle', '2030-01-15T12:05:30.000Z'],
      ['late', '2030-01-15T12:05:59.000Z'],
    ]);
    clock.t = Date.UTC(2030, 0, 15, 12, 5, 0);
    expect(await emulator.fireDue()).toEqual(['early']);
    clock.t = Date.UTC(2030, 0, 15, 12, 5, 59);
    expect(await emulator.fireDue()).toEqual(['middle', 'late']);
  });

  it('GIVEN a target it cannot send to WHEN its retries are exhausted THEN the input goes to the dead-letter queue with the service attributes', async () => {
    const missing = env.resources.deliveryQueueArn.replace(/[^:]+$/, 'no-such-queue');
    await client.send(
      new CreateScheduleCommand(
        input('lost', 'at(2030-01-15T12:00:00)', {
          Target: {
            ...input('lost', 'x').Target!,
            Arn: missing,
            RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 1 },
            DeadLetterConfig: { Arn: env.resources.deadLetterQueueArn },
          },
        }),
      ),
    );
    expect(await emulator.fireDue()).toEqual([]);
    expect(emulator.list().map((s) => s.failures)).toEqual([1]);
    expect(await emulator.fireDue()).toEqual([]);
    expect(emulator.list()).toEqual([]);
    const out = await env.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: env.resources.deadLetterQueueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
    );
    expect(out.Messages).toHaveLength(1);
    const attributes = Object.fromEntries(Object.entries(out.Messages![0]!.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]));
    expect(out.Messages![0]!.Body).toBe('{"deliveryId":"lost","attempt":2}');
    expect(attributes).toMatchObject({
      SCHEDULE_ARN: 'arn:aws:scheduler:us-east-1:000000000000:schedule/herald/lost',
      TARGET_ARN: missing,
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '1',
      IS_PAYLOAD_TRUNCATED: 'false',
      SCHEDULED_TIME: '2030-01-15T12:00:00.000Z',
    });
    expect(attributes.ERROR_CODE).toBeTruthy();
    expect(attributes.kind).toBeUndefined();
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
      const first = await startSchedulerEmulator({ sqs: env.clients.sqs, clock, persistPath, random: () => 0, groups: ['herald'] });
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
    const live = await startSchedulerEmulator({ sqs: env.clients.sqs, random: () => 0, groups: ['herald'] });
    const c = new SchedulerClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: live.endpoint, maxAttempts: 1 });
    try {
      live.startTimer(50);
      await c.send(new CreateScheduleCommand(input('live', `at(${new Date().toISOString().slice(0, 19)})`)));
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
        deadLetterArn: env.resources.deadLetterQueueArn,
      });

    it('creates the one-time schedule Herald needs, rounding the time up to the next whole minute, its due time in the input', async () => {
      await adapter().scheduleAt('dlv_x-3', START + 3_600_000 + 1, { deliveryId: 'dlv_x', attempt: 3 });
      const got = await client.send(new GetScheduleCommand({ Name: 'dlv_x-3', GroupName: 'herald' }));
      expect(got).toMatchObject({
        ScheduleExpression: 'at(2030-01-15T13:01:00)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: {
          Arn: env.resources.deliveryQueueArn,
          RoleArn: 'arn:aws:iam::000000000000:role/scheduler',
          Input: JSON.stringify({ deliveryId: 'dlv_x', attempt: 3, notBefore: START + 3_600_000 + 1 }),
          RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
          DeadLetterConfig: { Arn: env.resources.deadLetterQueueArn },
        },
      });
    });

    it('GIVEN any firing second of the minute THEN the schedule never fires before the time asked for', async () => {
      for (const r of [0, 0.5, 0.999]) {
        random = r;
        await emulator.clear();
        const at = START + 90_500; // 12:01:30.5
        await adapter().scheduleAt(`s-${r}`.replace('.', '_'), at, { deliveryId: 'dlv_z', attempt: 2 });
        expect(emulator.list()[0]!.fireAt, String(r)).toBeGreaterThanOrEqual(at);
        expect(emulator.list()[0]!.fireAt - at).toBeLessThan(120_000);
      }
    });

    it('treats a repeated create (a crash after the first) as success', async () => {
      await adapter().scheduleAt('dlv_y-2', START + 60_000, { deliveryId: 'dlv_y', attempt: 2 });
      await adapter().scheduleAt('dlv_y-2', START + 60_000, { deliveryId: 'dlv_y', attempt: 2 });
      expect(emulator.list().map((s) => s.Name)).toEqual(['dlv_y-2']);
    });

    it('refuses a name the Scheduler would refuse', async () => {
      await expect(adapter().scheduleAt('has space', START, { deliveryId: 'x', attempt: 1 })).rejects.toThrow(/invalid schedule name/);
    });
  });
});
