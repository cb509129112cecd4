/**
 * The deliver worker's integration world: dynalite + fauxqs (test harness), the Scheduler emulator,
 * a real HTTP receiver, a manual clock, the real adapters through the real SDK clients, and helpers
 * to seed the table and to drive the handler with SQS events built from received messages.
 */
import { randomBytes } from 'node:crypto';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { SqsDeliveryQueue } from '../../../lambdas/adapters/sqs-delivery-queue';
import { DynamoEventStore } from '../../../lambdas/adapters/dynamo/event-store';
import { writeSubscriptionCopies } from '../../../lambdas/adapters/dynamo/endpoint-store';
import { DynamoCircuitStore } from '../../../lambdas/adapters/dynamo/circuit-store';
import { parkEntry } from '../../../lambdas/use-cases/deliver/park-log';
import { deliveryToItem, endpointToItem, eventToItem, expiresAt, itemToEndpoint, keys } from '../../../lambdas/adapters/dynamo/schema';
import { deliveryId as deliveryIdOf, idBody, makeId, parseDeliveryId } from '../../../lambdas/core/ids';
import { DEFAULT_CIRCUIT } from '../../../lambdas/core/circuit';
import { newDelivery, type Attempt, type Delivery, type Endpoint, type HeraldEvent } from '../../../lambdas/core/model';
import { generateSecret } from '../../../lambdas/core/signing';
import { buildDeliverDeps, createDeliverHandler } from '../../../lambdas/deliver/app';
import { MemoryMetrics } from '../../support/metrics';
import type { DeliverConfig } from '../../../lambdas/deliver/config';
import type { DeliverDeps, DeliverSettings, Logger } from '../../../lambdas/use-cases/deliver/deps';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/emulators';
import { lambdaContext } from '../../../local/lambda-context';
import { startSchedulerEmulator, type SchedulerEmulator } from '../../../local/scheduler-emulator';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';
import { startReceiver, type Receiver } from '../../support/receiver';

/** A clock tests move by hand. Starts on a whole second so Retry-After dates compute exactly. */
export class ManualClock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const START = Date.UTC(2030, 0, 15, 12, 0, 0);

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export function captureLogger(lines: LogLine[]): Logger {
  return {
    info: (message, fields) => lines.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) => lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
    error: (message, fields) => lines.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
  };
}

export type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface Seeded {
  readonly endpoint: Endpoint;
  readonly event: HeraldEvent;
  readonly delivery: Delivery;
}

export interface World {
  readonly env: TestEnvironment;
  readonly scheduler: SchedulerEmulator;
  readonly schedulerClient: SchedulerClient;
  readonly receiver: Receiver;
  readonly clock: ManualClock;
  readonly logs: LogLine[];
  config(overrides?: Partial<DeliverConfig>): DeliverConfig;
  deps(options?: { config?: Partial<DeliverConfig>; settings?: Partial<DeliverSettings>; overrides?: Partial<DeliverDeps> }): DeliverDeps;
  handler(deps: DeliverDeps): Handler;
  /**
   * Stores an endpoint, an event fanned out to it and (with `delivery` overrides) a stored delivery item, and
   * (unless `enqueue: false`) queues the delivery's next attempt as the intake would: a fresh message.
   */
  seed(options?: { endpoint?: Partial<Endpoint>; event?: Partial<HeraldEvent>; delivery?: Partial<Delivery>; enqueue?: boolean }): Promise<Seeded>;
  /** Stores (or replaces) an endpoint and its subscription copies. */
  saveEndpoint(endpoint: Endpoint): Promise<void>;
  /** Receives (and deletes) what is visible on the delivery queue, waiting up to `waitSeconds` for the first. */
  receive(waitSeconds?: number): Promise<Message[]>;
  /** Builds the SQS event the Lambda event source mapping would pass for these messages. */
  toEvent(messages: readonly Message[]): SQSEvent;
  /** Receives from the delivery queue and runs the handler on it; `undefined` when the queue stayed empty. */
  pump(handler: Handler, waitSeconds?: number): Promise<{ messages: Message[]; response: SQSBatchResponse } | undefined>;
  /** The stored delivery (undefined while it has no item: not attempted yet). */
  delivery(id: string): Promise<Delivery | undefined>;
  deliveryItem(id: string): Promise<Record<string, unknown> | undefined>;
  /** The table key of a delivery (its event gives the creation time). */
  deliveryKey(id: string): Promise<{ pk: string; sk: string }>;
  attempts(deliveryId: string): Promise<Attempt[]>;
  endpoint(id: string): Promise<Endpoint | undefined>;
  /** Messages on the delivery queue that wait for their timer. */
  delayedCount(): Promise<number>;
  dlq(waitSeconds?: number): Promise<Record<string, unknown>[]>;
  /** Alerts published to the topic, as `{Subject, Message}`. */
  alerts(waitSeconds?: number): Promise<{ Subject: string; Message: string }[]>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const env = await startTestEnvironment();
  const clock = new ManualClock(START);
  // The firing second is fixed at :00, so a test knows when a schedule fires; the random second is
  // covered by the emulator's own tests.
  const scheduler = await startSchedulerEmulator({ sqs: env.clients.sqs, clock, random: () => 0, groups: [env.resources.scheduleGroup] });
  const schedulerClient = new SchedulerClient({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint: scheduler.endpoint,
    maxAttempts: 1,
  });
  const receiver = await startReceiver();
  const logs: LogLine[] = [];
  const { resources } = env;
  const sqs = env.clients.sqs;
  const table = resources.tableName;

  const config = (overrides: Partial<DeliverConfig> = {}): DeliverConfig => ({
    tableName: table,
    deliveryQueueUrl: resources.deliveryQueueUrl,
    allowPrivateTargets: true,
    retentionDays: 30,
    defaultRetryPolicy: undefined,
    breaker: { ...DEFAULT_CIRCUIT },
    deployment: 'test',
    operationalWebhook: undefined,
    deliveryQueueArn: resources.deliveryQueueArn,
    slowDeliveryQueueUrl: resources.slowDeliveryQueueUrl,
    slowDeliveryQueueArn: resources.slowDeliveryQueueArn,
    deadLetterQueueUrl: resources.deadLetterQueueUrl,
    deadLetterQueueArn: resources.deadLetterQueueArn,
    alertTopicArn: resources.alertTopicArn,
    tenantNoticeTopicArn: resources.tenantNoticeTopicArn,
    scheduleGroup: resources.scheduleGroup,
    schedulerRoleArn: 'arn:aws:iam::000000000000:role/herald-scheduler',
    shortDelaySeconds: 900,
    disableAfterSeconds: 5 * 86_400,
    alertWindowSeconds: 300,
    environment: 'sandbox',
    ...overrides,
  });

  const receive = async (waitSeconds = 0): Promise<Message[]> => {
    const out: Message[] = [];
    let wait = waitSeconds;
    for (;;) {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: resources.deliveryQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: wait,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const messages = res.Messages ?? [];
      if (messages.length === 0) return out;
      for (const m of messages) {
        out.push(m);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: resources.deliveryQueueUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
      wait = 0;
    }
  };

  const toEvent = (messages: readonly Message[]): SQSEvent => ({
    Records: messages.map(
      (m): SQSRecord => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
          SenderId: '000000000000',
          ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: resources.deliveryQueueArn,
        awsRegion: LOCAL_REGION,
      }),
    ),
  });

  const events = new DynamoEventStore(env.clients.doc, table, 30);
  const saveEndpoint = async (endpoint: Endpoint) => {
    await env.clients.doc.send(new PutCommand({ TableName: table, Item: endpointToItem(endpoint) }));
    await writeSubscriptionCopies(env.clients.doc, table, endpoint);
  };
  const deliveryKey = async (id: string) => {
    const parsed = parseDeliveryId(id);
    if (parsed === undefined) throw new Error(`not a delivery id: ${id}`);
    const out = await env.clients.doc.send(new GetCommand({ TableName: table, Key: keys.event(parsed.eventKey), ConsistentRead: true }));
    if (out.Item === undefined) throw new Error(`no event for delivery ${id}`);
    return keys.delivery({ ...parsed, createdAt: out.Item.createdAt as number });
  };

  const drainJson = async (url: string, waitSeconds: number) =>
    (await env.drain(url, { waitSeconds })).map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>);

  return {
    env,
    scheduler,
    schedulerClient,
    receiver,
    clock,
    logs,
    config,
    deps: (options = {}) => {
      const deps = buildDeliverDeps(
        { doc: env.clients.doc, sqs, sns: env.clients.sns, scheduler: schedulerClient, secrets: env.secrets },
        config(options.config),
        { clock, random: () => 0.5, log: captureLogger(logs), metrics: new MemoryMetrics(), ...options.overrides },
      );
      return { ...deps, settings: { ...deps.settings, ...options.settings } };
    },
    handler: (deps) => {
      const h = createDeliverHandler(deps);
      return (event, context) => h(event, context) as Promise<SQSBatchResponse>;
    },
    seed: async (options = {}) => {
      const now = clock.now();
      const rand = () => randomBytes(10);
      const endpoint: Endpoint = {
        id: makeId('ep', now, rand()),
        url: receiver.url('/hook'),
        description: 'test endpoint',
        eventTypes: ['*'],
        tenant: '',
        retryPolicy: {},
        timeoutMs: 2000,
        headers: {},
        disabled: false,
        secrets: [{ secret: generateSecret(randomBytes(32)), createdAt: now }],
        health: { consecutiveFailures: 0 },
        createdAt: now,
        updatedAt: now,
        ...options.endpoint,
      };
      const eventId = makeId('evt', now, rand());
      const event: HeraldEvent = {
        id: eventId,
        key: idBody(eventId),
        type: 'order.created',
        tenant: '',
        data: { order: 42, note: 'ünïcode' },
        createdAt: now,
        fingerprint: 'seeded',
        fanOut: [{ endpointId: endpoint.id }],
        ...options.event,
      };
      const id = deliveryIdOf(event.key, endpoint.id);
      const delivery: Delivery = { ...newDelivery({ id, event: { ...event, createdAt: now }, endpointId: endpoint.id, now }), ...options.delivery, id };
      const ttl = expiresAt(now, 30);
      await saveEndpoint(endpoint);
      await env.clients.doc.send(new PutCommand({ TableName: table, Item: eventToItem(event, ttl) }));
      if (options.delivery !== undefined) {
        await env.clients.doc.send(new PutCommand({ TableName: table, Item: deliveryToItem(delivery, [], { longWait: false }, ttl) }));
        // A parked delivery is listed in its endpoint's park log, as the worker lists it before parking it.
        if (delivery.status === 'parked') {
          await new DynamoCircuitStore(env.clients.doc, table).logParked(endpoint.id, [parkEntry(delivery)], now);
        }
      }
      if (options.enqueue !== false) {
        await new SqsDeliveryQueue(sqs, resources.deliveryQueueUrl).send([
          { message: { deliveryId: delivery.id, attempt: delivery.attemptCount + 1 }, groupId: endpoint.id },
        ]);
      }
      return { endpoint, event, delivery };
    },
    saveEndpoint,
    receive,
    toEvent,
    pump: async (handler, waitSeconds = 0) => {
      const messages = await receive(waitSeconds);
      if (messages.length === 0) return undefined;
      const response = await handler(toEvent(messages), lambdaContext('deliver', 60_000));
      return { messages, response };
    },
    delivery: async (id) => {
      const read = await events.getDelivery(id);
      if (read?.stored !== true) return undefined;
      // Its attempts are read with world.attempts().
      const { attempts: _attempts, ...delivery } = read.delivery;
      return delivery;
    },
    deliveryItem: async (id) => {
      const out = await env.clients.doc.send(new GetCommand({ TableName: table, Key: await deliveryKey(id), ConsistentRead: true }));
      return out.Item;
    },
    deliveryKey,
    attempts: async (deliveryId) => [...((await events.getDelivery(deliveryId))?.delivery.attempts ?? [])],
    endpoint: async (id) => {
      const out = await env.clients.doc.send(new GetCommand({ TableName: table, Key: keys.endpoint(id), ConsistentRead: true }));
      return out.Item === undefined ? undefined : itemToEndpoint(out.Item);
    },
    delayedCount: async () => {
      const out = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: resources.deliveryQueueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }),
      );
      return Number(out.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0);
    },
    dlq: (waitSeconds = 0) => drainJson(resources.deadLetterQueueUrl, waitSeconds),
    alerts: async (waitSeconds = 0) =>
      (await drainJson(resources.alertInboxUrl, waitSeconds)).map((n) => ({ Subject: String(n.Subject), Message: String(n.Message) })),
    reset: async () => {
      await env.purgeQueues();
      await scheduler.clear();
      logs.length = 0;
      clock.t = START;
    },
    stop: async () => {
      schedulerClient.destroy();
      await receiver.close();
      await scheduler.stop();
      await env.stop();
    },
  };
}

/**
 * Registers the usual hooks of a test file on one world: started once, reset before each test, stopped at the
 * end. `each` runs after every reset (e.g. to build the handler). Returns a getter: the world exists only once
 * `beforeAll` ran.
 */
export function useWorld(each?: (world: World) => void): () => World {
  let world: World | undefined;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world?.stop();
  });
  beforeEach(async () => {
    await world!.reset();
    each?.(world!);
  });
  return () => world!;
}
