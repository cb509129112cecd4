/**
 * A local EventBridge Scheduler: the subset of its REST-JSON API that Herald uses, served so that
 * the real `@aws-sdk/client-scheduler` (with `endpoint` pointed here) works unchanged.
 *
 * - CreateSchedule `POST /schedules/{Name}`, GetSchedule `GET /schedules/{Name}?groupName=`,
 *   DeleteSchedule `DELETE /schedules/{Name}?groupName=`, ListSchedules
 *   `GET /schedules?ScheduleGroup=&NamePrefix=&State=&MaxResults=&NextToken=`.
 * - Errors as the service sends them (status, `x-amzn-errortype`, `{"Message"}`): ConflictException
 *   (409) for a name that exists in the group, ResourceNotFoundException (404), ValidationException (400).
 * - One-time `at(yyyy-mm-ddThh:mm:ss)` schedules in UTC only (what Herald creates), with an SQS queue
 *   as target. At its time a schedule sends its target input to the queue (SendMessage on the SQS
 *   client given, queue found by the name in the target ARN), then is deleted when its
 *   `ActionAfterCompletion` is DELETE. A failed send is retried on every later tick until the
 *   target's `MaximumEventAgeInSeconds`, then goes to its dead-letter queue if it has one.
 *
 * Time is a {@link Clock}: tests pass a manual one and call {@link SchedulerEmulator.fireDue};
 * local mode calls {@link SchedulerEmulator.startTimer}. With `persistPath` the schedules are kept
 * in a JSON file, so a restart of local mode does not lose retries waiting in the Scheduler.
 *
 * Not emulated: authentication (any signature is accepted), schedule groups as resources (any group
 * name is accepted), rate()/cron() expressions, time zones other than UTC, targets other than SQS,
 * and the Scheduler's up-to-a-minute firing delay (the emulator fires on the first tick at or after
 * the time).
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
  /** When the `at()` expression falls (epoch ms). */
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
  /** `http://127.0.0.1:<port>`, set once started. */
  endpoint = '';

  private constructor(private readonly options: SchedulerEmulatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
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
        if (now - schedule.fireAt >= maxAgeMs || failures > maxRetries) {
          const dlq = schedule.Target.DeadLetterConfig?.Arn;
          if (dlq !== undefined) await this.send(dlq, schedule.Target.Input ?? '{}').catch(() => undefined);
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

  private async send(arn: string, body: string, groupId?: string): Promise<void> {
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
      new SendMessageCommand({ QueueUrl: url, MessageBody: body, ...(groupId === undefined ? {} : { MessageGroupId: groupId }) }),
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
    const data = JSON.parse(text) as { schedules?: ScheduleRecord[] };
    for (const s of data.schedules ?? []) this.schedules.set(key(s.GroupName, s.Name), s);
  }

  /** Writes the schedules to the file (atomically: a temporary file renamed over it), one write at a time. */
  private persist(): Promise<void> {
    const path = this.options.persistPath;
    if (path === undefined) return Promise.resolve();
    const snapshot = JSON.stringify({ version: 1, schedules: this.list() }, null, 2);
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

  private async createSchedule(name: string, input: Record<string, unknown>): Promise<{ ScheduleArn: string }> {
    if (!NAME.test(name)) throw new ApiError(400, 'ValidationException', `invalid schedule name ${name}`);
    const groupName = typeof input.GroupName === 'string' && input.GroupName !== '' ? input.GroupName : 'default';
    const expression = input.ScheduleExpression;
    if (typeof expression !== 'string') throw new ApiError(400, 'ValidationException', 'ScheduleExpression is required');
    const fireAt = parseAtExpression(expression);
    if (fireAt === undefined) {
      throw new ApiError(400, 'ValidationException', `the local emulator supports only at(yyyy-mm-ddThh:mm:ss) expressions, got ${expression}`);
    }
    const zone = typeof input.ScheduleExpressionTimezone === 'string' ? input.ScheduleExpressionTimezone : 'UTC';
    if (!UTC_ZONES.has(zone)) throw new ApiError(400, 'ValidationException', `the local emulator supports only UTC, got ${zone}`);
    const window = input.FlexibleTimeWindow as ScheduleRecord['FlexibleTimeWindow'] | undefined;
    if (window === undefined || (window.Mode !== 'OFF' && window.Mode !== 'FLEXIBLE')) {
      throw new ApiError(400, 'ValidationException', 'FlexibleTimeWindow.Mode must be OFF or FLEXIBLE');
    }
    const target = input.Target as ScheduleTarget | undefined;
    if (target === undefined || typeof target.Arn !== 'string' || typeof target.RoleArn !== 'string') {
      throw new ApiError(400, 'ValidationException', 'Target.Arn and Target.RoleArn are required');
    }
    if (!SQS_ARN.test(target.Arn)) {
      throw new ApiError(400, 'ValidationException', `the local emulator fires SQS targets only, got ${target.Arn}`);
    }
    const state = input.State === 'DISABLED' ? 'DISABLED' : 'ENABLED';
    const action = input.ActionAfterCompletion === 'DELETE' ? 'DELETE' : 'NONE';
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
      ...(typeof input.Description === 'string' ? { Description: input.Description } : {}),
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

/** Starts an emulator (shorthand for {@link SchedulerEmulator.start}). */
export function startSchedulerEmulator(options: SchedulerEmulatorOptions): Promise<SchedulerEmulator> {
  return SchedulerEmulator.start(options);
}
