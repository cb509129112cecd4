/**
 * A local EventBridge Scheduler: the subset of its REST-JSON API that Herald uses, served so that
 * the real `@aws-sdk/client-scheduler` (with `endpoint` pointed here) works unchanged.
 *
 * - CreateSchedule `POST /schedules/{Name}`, GetSchedule `GET /schedules/{Name}?groupName=`,
 *   DeleteSchedule `DELETE /schedules/{Name}?groupName=`, ListSchedules
 *   `GET /schedules?ScheduleGroup=&NamePrefix=&State=&MaxResults=&NextToken=`, and schedule groups:
 *   CreateScheduleGroup `POST /schedule-groups/{Name}`, GetScheduleGroup, DeleteScheduleGroup.
 * - Errors as the service sends them (status, `x-amzn-errortype`, `{"Message"}`): ConflictException
 *   (409) for a name that exists in the group, ResourceNotFoundException (404) for a schedule or a
 *   group that does not exist, ValidationException (400) for what the service refuses: names and
 *   group names outside `[0-9a-zA-Z-_.]{1,64}`, a description over 512 characters, a target input
 *   over 8192, a role or dead-letter ARN of the wrong form, a retry policy out of its ranges
 *   (60–86400 s, 0–185 retries), a flexible window without its 1–1440 minutes, unknown states and
 *   completion actions, fields of the wrong type.
 * - One-time `at(yyyy-mm-ddThh:mm:ss)` schedules in UTC only (what Herald creates), with an SQS queue
 *   as target. Like the service, a schedule fires with 60-second precision: at a random second of
 *   the minute of its expression (`at(12:00:40)` fires anywhere from 12:00:00 to 12:00:59), plus a
 *   random part of a flexible window. It then sends its target input to the queue (SendMessage on
 *   the SQS client given, queue found by the name in the target ARN), and is deleted when its
 *   `ActionAfterCompletion` is DELETE. A failed send is retried on every later tick until the
 *   target's `MaximumEventAgeInSeconds` or `MaximumRetryAttempts`, then goes to its dead-letter
 *   queue if it has one, with the attributes the service sets (`ERROR_CODE`, `ERROR_MESSAGE`,
 *   `EXHAUSTED_RETRY_CONDITION`, `RETRY_ATTEMPTS`, `SCHEDULE_ARN`, `TARGET_ARN`, ...).
 *
 * Time is a {@link Clock}: tests pass a manual one and call {@link SchedulerEmulator.fireDue};
 * local mode calls {@link SchedulerEmulator.startTimer}. With `persistPath` the schedules are kept
 * in a JSON file, so a restart of local mode does not lose retries waiting in the Scheduler.
 *
 * Not emulated: authentication (any signature is accepted), IAM (the role is not assumed, so a
 * role that lacks a permission still sends), rate()/cron() expressions, time zones other than UTC,
 * targets other than SQS, start and end dates, tags.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { systemClock, type Clock } from '../lambdas/ports';
import { guardLoopback } from './loopback-guard';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files';

export interface SchedulerEmulatorOptions {
  /** Sends the fired messages. */
  readonly sqs: SQSClient;
  readonly clock?: Clock;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** JSON file holding the schedules across restarts; in memory only when absent. */
  readonly persistPath?: string;
  readonly region?: string;
  readonly accountId?: string;
  /** Called when firing a schedule fails (it stays due and is retried on the next tick). */
  readonly onError?: (error: unknown, schedule: ScheduleRecord) => void;
  /**
   * Uniform in [0, 1): picks the second of its minute at which a schedule fires. Tests pass a fixed
   * value to fire at a known second.
   *
   * @default Math.random
   */
  readonly random?: () => number;
  /** Schedule groups that exist from the start, besides `default` (as CreateScheduleGroup would make them). */
  readonly groups?: readonly string[];
}

export interface ScheduleTarget {
  readonly Arn: string;
  readonly RoleArn: string;
  readonly Input?: string;
  readonly RetryPolicy?: { readonly MaximumEventAgeInSeconds?: number; readonly MaximumRetryAttempts?: number };
  readonly DeadLetterConfig?: { readonly Arn?: string };
  readonly SqsParameters?: { readonly MessageGroupId?: string };
}

/** A stored schedule, in the service's field names; dates are epoch milliseconds. */
export interface ScheduleRecord {
  readonly Name: string;
  readonly GroupName: string;
  readonly Arn: string;
  readonly ScheduleExpression: string;
  readonly ScheduleExpressionTimezone: string;
  readonly State: 'ENABLED' | 'DISABLED';
  readonly Description?: string;
  readonly FlexibleTimeWindow: { readonly Mode: string; readonly MaximumWindowInMinutes?: number };
  readonly Target: ScheduleTarget;
  readonly ActionAfterCompletion: 'NONE' | 'DELETE';
  readonly CreationDate: number;
  readonly LastModificationDate: number;
  /** When the schedule fires (epoch ms): a random second of the minute of its `at()` expression. */
  readonly fireAt: number;
  /** Set once fired (only kept for schedules with ActionAfterCompletion NONE). */
  readonly firedAt?: number;
  /** Failed sends so far. */
  readonly failures?: number;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/;
/** The service's pattern for a dead-letter queue: a standard queue (no `.fifo`). */
const DLQ_ARN = /^arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT']);

/** Parses `at(yyyy-mm-ddThh:mm:ss)` as UTC; undefined when malformed or not a real date. */
export function parseAtExpression(expression: string): number | undefined {
  const m = AT.exec(expression);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  return ms;
}

const key = (group: string, name: string) => `${group}\u0000${name}`;
const seconds = (ms: number) => ms / 1000;

/**
 * When a schedule whose expression names `expressionAt` fires: a random second of that minute (the
 * service's 60-second precision), plus a random part of a flexible window.
 */
export function firingTime(expressionAt: number, window: ScheduleRecord['FlexibleTimeWindow'], random: () => number): number {
  const minuteStart = Math.floor(expressionAt / 60_000) * 60_000;
  const second = Math.min(59, Math.floor(random() * 60));
  const flexible = window.Mode === 'FLEXIBLE' ? Math.floor(random() * (window.MaximumWindowInMinutes ?? 0) * 60) * 1000 : 0;
  return minuteStart + second * 1000 + flexible;
}

const invalid = (message: string) => new ApiError(400, 'ValidationException', message);

function optionalString(input: Record<string, unknown>, field: string, max: number, min = 0): string | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  if (value.length < min || value.length > max) throw invalid(`${field} must be ${min} to ${max} characters long`);
  return value;
}

function optionalInteger(input: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${field} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function oneOf<T extends string>(input: Record<string, unknown>, field: string, allowed: readonly T[], fallback: T): T {
  const value = input[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(`${field} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${field} must be an object`);
  return value as Record<string, unknown>;
}

/** The flexible time window, checked as the service does: FLEXIBLE needs 1–1440 minutes. */
function parseWindow(raw: unknown): ScheduleRecord['FlexibleTimeWindow'] {
  if (raw === undefined) throw invalid('FlexibleTimeWindow is required');
  const window = object(raw, 'FlexibleTimeWindow');
  const mode = oneOf(window, 'Mode', ['OFF', 'FLEXIBLE'] as const, 'OFF');
  if (window.Mode === undefined) throw invalid('FlexibleTimeWindow.Mode is required');
  const minutes = optionalInteger(window, 'MaximumWindowInMinutes', 1, 1440);
  if (mode === 'FLEXIBLE' && minutes === undefined) throw invalid('FlexibleTimeWindow.MaximumWindowInMinutes is required when Mode is FLEXIBLE');
  return minutes === undefined ? { Mode: mode } : { Mode: mode, MaximumWindowInMinutes: minutes };
}

/** The target, checked against the service's limits (and the emulator's: SQS targets only). */
function parseTarget(raw: unknown): ScheduleTarget {
  if (raw === undefined) throw invalid('Target is required');
  const target = object(raw, 'Target');
  const arn = optionalString(target, 'Arn', 1600, 1);
  const roleArn = optionalString(target, 'RoleArn', 1600, 1);
  if (arn === undefined || roleArn === undefined) throw invalid('Target.Arn and Target.RoleArn are required');
  if (!ROLE_ARN.test(roleArn)) throw invalid(`Target.RoleArn is not an IAM role ARN: ${roleArn}`);
  if (!SQS_ARN.test(arn)) throw invalid(`the local emulator fires SQS targets only, got ${arn}`);
  const input = optionalString(target, 'Input', 8192, 1);
  let retryPolicy: ScheduleTarget['RetryPolicy'];
  if (target.RetryPolicy !== undefined) {
    const policy = object(target.RetryPolicy, 'Target.RetryPolicy');
    const age = optionalInteger(policy, 'MaximumEventAgeInSeconds', 60, 86_400);
    const attempts = optionalInteger(policy, 'MaximumRetryAttempts', 0, 185);
    retryPolicy = {
      ...(age === undefined ? {} : { MaximumEventAgeInSeconds: age }),
      ...(attempts === undefined ? {} : { MaximumRetryAttempts: attempts }),
    };
  }
  let deadLetter: ScheduleTarget['DeadLetterConfig'];
  if (target.DeadLetterConfig !== undefined) {
    const dlq = optionalString(object(target.DeadLetterConfig, 'Target.DeadLetterConfig'), 'Arn', 1600, 1);
    if (dlq !== undefined && !DLQ_ARN.test(dlq)) throw invalid(`Target.DeadLetterConfig.Arn must be a standard SQS queue ARN, got ${dlq}`);
    deadLetter = dlq === undefined ? {} : { Arn: dlq };
  }
  let sqsParameters: ScheduleTarget['SqsParameters'];
  if (target.SqsParameters !== undefined) {
    const groupId = optionalString(object(target.SqsParameters, 'Target.SqsParameters'), 'MessageGroupId', 128, 1);
    sqsParameters = groupId === undefined ? {} : { MessageGroupId: groupId };
  }
  return {
    Arn: arn,
    RoleArn: roleArn,
    ...(input === undefined ? {} : { Input: input }),
    ...(retryPolicy === undefined ? {} : { RetryPolicy: retryPolicy }),
    ...(deadLetter === undefined ? {} : { DeadLetterConfig: deadLetter }),
    ...(sqsParameters === undefined ? {} : { SqsParameters: sqsParameters }),
  };
}

export class SchedulerEmulator {
  private readonly schedules = new Map<string, ScheduleRecord>();
  private readonly clock: Clock;
  private readonly region: string;
  private readonly accountId: string;
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private firing: Promise<string[]> = Promise.resolve([]);
  private persisting: Promise<void> = Promise.resolve();
  private readonly queueUrls = new Map<string, string>();
  private readonly groups = new Set<string>(['default']);
  private readonly random: () => number;
  /** `http://127.0.0.1:<port>`, set once started. */
  endpoint = '';

  private constructor(private readonly options: SchedulerEmulatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.random = options.random ?? Math.random;
    for (const group of options.groups ?? []) this.groups.add(group);
  }

  /** Loads persisted schedules (if any) and starts listening. */
  static async start(options: SchedulerEmulatorOptions): Promise<SchedulerEmulator> {
    const emulator = new SchedulerEmulator(options);
    await emulator.load();
    await emulator.listen();
    return emulator;
  }

  /** Every stored schedule, soonest first. */
  list(): ScheduleRecord[] {
    return [...this.schedules.values()].sort((a, b) => a.fireAt - b.fireAt || a.Name.localeCompare(b.Name));
  }

  get(groupName: string, name: string): ScheduleRecord | undefined {
    return this.schedules.get(key(groupName, name));
  }

  /** The schedule groups that exist, `default` included. */
  listGroups(): string[] {
    return [...this.groups].sort();
  }

  /** Deletes every schedule (tests, or a local-mode reset). */
  async clear(): Promise<void> {
    await this.firing;
    this.schedules.clear();
    await this.persist();
  }

  /** The earliest time a pending schedule is due, if any. */
  nextDueAt(): number | undefined {
    return this.pending()[0]?.fireAt;
  }

  /**
   * Fires every enabled schedule whose time has come (by the clock), oldest first, and returns their
   * names. Calls are serialized, so a schedule never fires twice.
   */
  fireDue(): Promise<string[]> {
    const run = this.firing.then(() => this.fireNow());
    this.firing = run.catch(() => []);
    return run;
  }

  /** Real-time mode: fires due schedules every `intervalMs`. */
  startTimer(intervalMs = 1000): void {
    this.stopTimer();
    this.timer = setInterval(() => {
      void this.fireDue().catch(() => undefined);
    }, intervalMs);
    this.timer.unref();
  }

  stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  async stop(): Promise<void> {
    this.stopTimer();
    await this.firing;
    await this.persisting;
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private pending(): ScheduleRecord[] {
    return this.list().filter((s) => s.State === 'ENABLED' && s.firedAt === undefined);
  }

  private async fireNow(): Promise<string[]> {
    const now = this.clock.now();
    const fired: string[] = [];
    for (const schedule of this.pending().filter((s) => s.fireAt <= now)) {
      try {
        await this.send(schedule.Target.Arn, schedule.Target.Input ?? '{}', schedule.Target.SqsParameters?.MessageGroupId);
        fired.push(schedule.Name);
        this.complete(schedule, now);
      } catch (error) {
        this.options.onError?.(error, schedule);
        const maxAgeMs = (schedule.Target.RetryPolicy?.MaximumEventAgeInSeconds ?? 86_400) * 1000;
        const failures = (schedule.failures ?? 0) + 1;
        const maxRetries = schedule.Target.RetryPolicy?.MaximumRetryAttempts ?? 185;
        const tooOld = now - schedule.fireAt >= maxAgeMs;
        if (tooOld || failures > maxRetries) {
          const dlq = schedule.Target.DeadLetterConfig?.Arn;
          if (dlq !== undefined) {
            const attributes = deadLetterAttributes(schedule, error, tooOld ? 'MaximumEventAgeInSeconds' : 'MaximumRetryAttempts', failures - 1);
            await this.send(dlq, schedule.Target.Input ?? '{}', undefined, attributes).catch(() => undefined);
          }
          this.complete(schedule, now);
        } else {
          this.schedules.set(key(schedule.GroupName, schedule.Name), { ...schedule, failures });
        }
      }
    }
    await this.persist();
    return fired;
  }

  private complete(schedule: ScheduleRecord, now: number): void {
    const k = key(schedule.GroupName, schedule.Name);
    if (schedule.ActionAfterCompletion === 'DELETE') this.schedules.delete(k);
    else this.schedules.set(k, { ...schedule, firedAt: now });
  }

  private async send(arn: string, body: string, groupId?: string, attributes?: Record<string, string>): Promise<void> {
    const match = SQS_ARN.exec(arn);
    if (match === null) throw new Error(`not an SQS queue ARN: ${arn}`);
    const queueName = match[1]!;
    let url = this.queueUrls.get(queueName);
    if (url === undefined) {
      const out = await this.options.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
      url = out.QueueUrl!;
      this.queueUrls.set(queueName, url);
    }
    await this.options.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        ...(groupId === undefined ? {} : { MessageGroupId: groupId }),
        ...(attributes === undefined
          ? {}
          : {
              MessageAttributes: Object.fromEntries(
                Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
              ),
            }),
      }),
    );
  }

  private async load(): Promise<void> {
    const path = this.options.persistPath;
    if (path === undefined) return;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const data = JSON.parse(text) as { schedules?: ScheduleRecord[]; groups?: string[] };
    for (const group of data.groups ?? []) this.groups.add(group);
    for (const s of data.schedules ?? []) {
      this.groups.add(s.GroupName);
      this.schedules.set(key(s.GroupName, s.Name), s);
    }
  }

  /** Writes the schedules to the file (atomically: a temporary file renamed over it), one write at a time. */
  private persist(): Promise<void> {
    const path = this.options.persistPath;
    if (path === undefined) return Promise.resolve();
    const snapshot = JSON.stringify({ version: 1, groups: this.listGroups(), schedules: this.list() }, null, 2);
    const write = this.persisting.then(async () => {
      await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, snapshot, { mode: PRIVATE_FILE_MODE });
      await rename(tmp, path);
    });
    this.persisting = write.catch(() => undefined);
    return write;
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        const apiError = error instanceof ApiError ? error : new ApiError(500, 'InternalServerException', String(error));
        this.reply(res, apiError.status, { Message: apiError.message }, apiError.type);
      });
    });
    guardLoopback(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.endpoint = `http://127.0.0.1:${port}`;
  }

  private reply(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
    });
    res.end(text);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://scheduler.local');
    const body = await readBody(req);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'schedule-groups' && parts.length === 2) {
      this.reply(res, 200, await this.scheduleGroup(req.method ?? 'GET', parts[1]!));
      return;
    }
    if (parts[0] !== 'schedules' || parts.length > 2) {
      throw new ApiError(404, 'UnknownOperationException', `${req.method} ${url.pathname} is not emulated`);
    }
    if (parts.length === 1) {
      if (req.method !== 'GET') throw new ApiError(405, 'UnknownOperationException', `${req.method} /schedules is not emulated`);
      this.reply(res, 200, this.listSchedules(url.searchParams));
      return;
    }
    const name = parts[1]!;
    switch (req.method) {
      case 'POST':
        this.reply(res, 200, await this.createSchedule(name, parseJson(body)));
        return;
      case 'GET':
        this.reply(res, 200, this.getSchedule(name, url.searchParams.get('groupName') ?? 'default'));
        return;
      case 'DELETE':
        await this.deleteSchedule(name, url.searchParams.get('groupName') ?? 'default');
        this.reply(res, 200, {});
        return;
      default:
        throw new ApiError(405, 'UnknownOperationException', `${req.method} /schedules/{Name} is not emulated`);
    }
  }

  /** CreateScheduleGroup (POST), GetScheduleGroup (GET), DeleteScheduleGroup (DELETE, with its schedules). */
  private async scheduleGroup(method: string, name: string): Promise<Record<string, unknown>> {
    if (!NAME.test(name)) throw invalid(`invalid schedule group name ${name}`);
    const arn = `arn:aws:scheduler:${this.region}:${this.accountId}:schedule-group/${name}`;
    switch (method) {
      case 'POST':
        if (this.groups.has(name)) throw new ApiError(409, 'ConflictException', `Schedule group ${name} already exists.`);
        this.groups.add(name);
        await this.persist();
        return { ScheduleGroupArn: arn };
      case 'GET':
        if (!this.groups.has(name)) throw new ApiError(404, 'ResourceNotFoundException', `Schedule group ${name} does not exist.`);
        return { Arn: arn, Name: name, State: 'ACTIVE' };
      case 'DELETE':
        if (name === 'default') throw invalid('the default schedule group cannot be deleted');
        if (!this.groups.delete(name)) throw new ApiError(404, 'ResourceNotFoundException', `Schedule group ${name} does not exist.`);
        for (const s of [...this.schedules.values()]) if (s.GroupName === name) this.schedules.delete(key(s.GroupName, s.Name));
        await this.persist();
        return {};
      default:
        throw new ApiError(405, 'UnknownOperationException', `${method} /schedule-groups/{Name} is not emulated`);
    }
  }

  private async createSchedule(name: string, input: Record<string, unknown>): Promise<{ ScheduleArn: string }> {
    if (!NAME.test(name)) throw invalid(`invalid schedule name ${name}`);
    const groupName = optionalString(input, 'GroupName', 64, 1) ?? 'default';
    if (!NAME.test(groupName)) throw invalid(`invalid schedule group name ${groupName}`);
    if (!this.groups.has(groupName)) throw new ApiError(404, 'ResourceNotFoundException', `Schedule group ${groupName} does not exist.`);
    const expression = optionalString(input, 'ScheduleExpression', 256, 1);
    if (expression === undefined) throw invalid('ScheduleExpression is required');
    const expressionAt = parseAtExpression(expression);
    if (expressionAt === undefined) {
      throw invalid(`the local emulator supports only at(yyyy-mm-ddThh:mm:ss) expressions, got ${expression}`);
    }
    const zone = optionalString(input, 'ScheduleExpressionTimezone', 50, 1) ?? 'UTC';
    if (!UTC_ZONES.has(zone)) throw invalid(`the local emulator supports only UTC, got ${zone}`);
    const description = optionalString(input, 'Description', 512);
    const window = parseWindow(input.FlexibleTimeWindow);
    const target = parseTarget(input.Target);
    const state = oneOf(input, 'State', ['ENABLED', 'DISABLED'] as const, 'ENABLED');
    const action = oneOf(input, 'ActionAfterCompletion', ['NONE', 'DELETE'] as const, 'NONE');
    const fireAt = firingTime(expressionAt, window, this.random);
    const k = key(groupName, name);
    if (this.schedules.has(k)) {
      throw new ApiError(409, 'ConflictException', `Schedule ${name} already exists.`);
    }
    const now = this.clock.now();
    const record: ScheduleRecord = {
      Name: name,
      GroupName: groupName,
      Arn: `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${groupName}/${name}`,
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: zone,
      State: state,
      ...(description === undefined ? {} : { Description: description }),
      FlexibleTimeWindow: window,
      Target: target,
      ActionAfterCompletion: action,
      CreationDate: now,
      LastModificationDate: now,
      fireAt,
    };
    this.schedules.set(k, record);
    await this.persist();
    return { ScheduleArn: record.Arn };
  }

  private getSchedule(name: string, groupName: string): Record<string, unknown> {
    const s = this.schedules.get(key(groupName, name));
    if (s === undefined) throw new ApiError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    return {
      Arn: s.Arn,
      GroupName: s.GroupName,
      Name: s.Name,
      ScheduleExpression: s.ScheduleExpression,
      ScheduleExpressionTimezone: s.ScheduleExpressionTimezone,
      State: s.State,
      ...(s.Description === undefined ? {} : { Description: s.Description }),
      CreationDate: seconds(s.CreationDate),
      LastModificationDate: seconds(s.LastModificationDate),
      Target: s.Target,
      FlexibleTimeWindow: s.FlexibleTimeWindow,
      ActionAfterCompletion: s.ActionAfterCompletion,
    };
  }

  private async deleteSchedule(name: string, groupName: string): Promise<void> {
    if (!this.schedules.delete(key(groupName, name))) {
      throw new ApiError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    }
    await this.persist();
  }

  private listSchedules(query: URLSearchParams): Record<string, unknown> {
    const group = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix');
    const state = query.get('State');
    const max = Math.min(100, Math.max(1, Number(query.get('MaxResults') ?? 100) || 100));
    const start = Number(query.get('NextToken') ?? 0) || 0;
    const all = [...this.schedules.values()]
      .filter((s) => (group === null || s.GroupName === group) && (prefix === null || s.Name.startsWith(prefix)) && (state === null || s.State === state))
      .sort((a, b) => a.GroupName.localeCompare(b.GroupName) || a.Name.localeCompare(b.Name));
    const page = all.slice(start, start + max);
    return {
      Schedules: page.map((s) => ({
        Arn: s.Arn,
        Name: s.Name,
        GroupName: s.GroupName,
        State: s.State,
        CreationDate: seconds(s.CreationDate),
        LastModificationDate: seconds(s.LastModificationDate),
        Target: { Arn: s.Target.Arn },
      })),
      ...(start + max < all.length ? { NextToken: String(start + max) } : {}),
    };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new ApiError(400, 'ValidationException', 'request body is not a JSON object');
}

/**
 * The message attributes the service sets on what it puts on a schedule's dead-letter queue; they
 * tell such a message apart from any other on the same queue (`SCHEDULE_ARN` above all).
 */
function deadLetterAttributes(
  schedule: ScheduleRecord,
  error: unknown,
  condition: 'MaximumEventAgeInSeconds' | 'MaximumRetryAttempts',
  retries: number,
): Record<string, string> {
  const code = (error as { name?: string } | undefined)?.name ?? 'ERROR_FROM_TARGET';
  return {
    ERROR_CODE: code,
    ERROR_MESSAGE: (error instanceof Error ? error.message : String(error)).slice(0, 1000) || code,
    EXECUTION_ID: randomUUID(),
    EXHAUSTED_RETRY_CONDITION: condition,
    IS_PAYLOAD_TRUNCATED: 'false',
    RETRY_ATTEMPTS: String(retries),
    SCHEDULED_TIME: new Date(schedule.fireAt).toISOString(),
    SCHEDULE_ARN: schedule.Arn,
    TARGET_ARN: schedule.Target.Arn,
  };
}

/** Starts an emulator (shorthand for {@link SchedulerEmulator.start}). */
export function startSchedulerEmulator(options: SchedulerEmulatorOptions): Promise<SchedulerEmulator> {
  return SchedulerEmulator.start(options);
}
