/**
 * Long retries on EventBridge Scheduler: one one-time schedule per retry that puts the
 * DeliveryMessage back on the delivery queue at its time and then deletes itself.
 */
import { CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { DeliveryMessage } from '../core/model';
import type { RetryScheduler } from '../ports';

/** Schedule names: 1 to 64 characters of `[0-9a-zA-Z-_.]`. */
export const SCHEDULE_NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;

export interface EventBridgeRetrySchedulerOptions {
  /** The stack's schedule group. */
  readonly groupName: string;
  /** The delivery queue's ARN: the schedules' target. */
  readonly queueArn: string;
  /** The role the Scheduler assumes to send to the queue. */
  readonly roleArn: string;
  /** Where the Scheduler puts a message it could not deliver after its own retries, if anywhere. */
  readonly deadLetterArn?: string;
  /**
   * How long and how often the Scheduler itself retries a failed SendMessage.
   * @default 24 h and 185 retries (the service maximums): a retry must not be lost to a short SQS outage
   */
  readonly maximumEventAgeSeconds?: number;
  readonly maximumRetryAttempts?: number;
}

/**
 * The `at()` expression for a time: `at(yyyy-mm-ddThh:mm:00)` in UTC, rounded up to the next whole
 * minute. The Scheduler fires with 60-second precision: a schedule for hh:mm:ss may fire anywhere
 * from hh:mm:00 to hh:mm:59, so up to 59 s before a time inside the minute. A retry must never go
 * out before its time (a Retry-After means "not before"), so the schedule is set for the start of
 * the first whole minute at or after it; it then fires within the 60 s that follow.
 */
export function atExpression(at: number): string {
  const minute = Math.ceil(at / 60_000) * 60_000;
  return `at(${new Date(minute).toISOString().slice(0, 19)})`;
}

/**
 * The schedule's input: the DeliveryMessage with the time it is due (`notBefore`, epoch ms), so
 * the worker can tell a message that arrived early and put it back for the seconds left
 * (`use-cases/deliver/hold-early.ts`).
 */
export function scheduleInput(at: number, message: DeliveryMessage): string {
  return JSON.stringify({ ...message, notBefore: at });
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

export class EventBridgeRetryScheduler implements RetryScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly options: EventBridgeRetrySchedulerOptions,
  ) {}

  /**
   * Creates the schedule. A schedule of the same name that already exists is the one a previous,
   * interrupted run created for the same delivery and attempt, so the conflict counts as success.
   */
  async scheduleAt(name: string, at: number, message: DeliveryMessage): Promise<void> {
    if (!SCHEDULE_NAME.test(name)) throw new Error(`invalid schedule name ${JSON.stringify(name)}`);
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.options.groupName,
          ScheduleExpression: atExpression(at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          State: 'ENABLED',
          Description: `Herald retry: delivery ${message.deliveryId}, attempt ${message.attempt}`,
          Target: {
            Arn: this.options.queueArn,
            RoleArn: this.options.roleArn,
            Input: scheduleInput(at, message),
            RetryPolicy: {
              MaximumEventAgeInSeconds: this.options.maximumEventAgeSeconds ?? 86_400,
              MaximumRetryAttempts: this.options.maximumRetryAttempts ?? 185,
            },
            ...(this.options.deadLetterArn === undefined ? {} : { DeadLetterConfig: { Arn: this.options.deadLetterArn } }),
          },
        }),
      );
    } catch (error) {
      if (errorName(error) === 'ConflictException') return;
      throw error;
    }
  }
}
