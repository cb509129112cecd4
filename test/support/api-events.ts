/**
 * Builds API Gateway (HTTP API, payload format 2.0) events for the api handler, and a small client that calls
 * the handler directly the way API Gateway would.
 *
 *   const api = apiClient(createApiHandler(deps), 'the-key');
 *   const res = await api.post('/v1/events', { type: 'a.b', data: {} }, { headers: { 'idempotency-key': 'k1' } });
 *   res.status, res.body (parsed JSON), res.headers
 */
import { MemoryMetrics } from './metrics';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { SqsDeliveryQueue } from '../../lambdas/adapters/sqs-delivery-queue';
import { StaticApiKeys } from '../../lambdas/adapters/secrets-api-keys';
import { createApiHandler } from '../../lambdas/api/app';
import type { Clock, DeliveryQueue, QueuedDelivery } from '../../lambdas/ports';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startTestEnvironment, type TestEnvironment } from './emulators';

export interface ApiEventOptions {
  /** A value is sent as JSON (with content-type application/json unless headers say otherwise); a string as is. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  /** Sends the body base64-encoded, as API Gateway does for binary content. */
  readonly base64?: boolean;
}

let counter = 0;

/** An APIGatewayProxyEventV2 like the one API Gateway's `$default` route sends to the Lambda. */
export function apiEvent(method: string, path: string, options: ApiEventOptions = {}): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { host: 'api.test', 'user-agent': 'herald-tests', ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const query = options.query ?? {};
  const rawQueryString = new URLSearchParams(query as Record<string, string>).toString();
  const now = Date.now();
  counter++;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: { ...query } } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      domainName: 'api.test',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'herald-tests' },
      requestId: `req-${counter}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    isBase64Encoded: options.base64 === true,
    ...(body === undefined ? {} : { body: options.base64 === true ? Buffer.from(body).toString('base64') : body }),
  };
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body (undefined when there was none). */
  readonly body: any;
  readonly rawBody: string | undefined;
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | string>;

/** A minimal Lambda context (middy only reads getRemainingTimeInMillis when present; it is not). */
const context = { functionName: 'herald-api-test', awsRequestId: 'test' } as unknown as Context;

/** Invokes the handler with an event and normalises the result. */
export async function invoke(handler: Handler, event: APIGatewayProxyEventV2): Promise<ApiResponse> {
  const result = await handler(event, context);
  if (typeof result === 'string') throw new Error('the api handler must return a structured result');
  const rawBody = result.body;
  return {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
    body: rawBody === undefined || rawBody === '' ? undefined : JSON.parse(rawBody),
    rawBody,
  };
}

export interface ApiClient {
  request(method: string, path: string, options?: ApiEventOptions & { readonly auth?: string | null }): Promise<ApiResponse>;
  get(path: string, query?: Record<string, string>): Promise<ApiResponse>;
  post(path: string, body?: unknown, options?: ApiEventOptions): Promise<ApiResponse>;
  patch(path: string, body?: unknown, options?: ApiEventOptions): Promise<ApiResponse>;
  delete(path: string): Promise<ApiResponse>;
}

/**
 * A client that sends `Authorization: Bearer <apiKey>` on every request. `auth` overrides the header value
 * (`null` sends none).
 */
export function apiClient(handler: Handler, apiKey: string): ApiClient {
  const request: ApiClient['request'] = (method, path, options = {}) => {
    const { auth, ...rest } = options;
    const authorization = auth === undefined ? `Bearer ${apiKey}` : auth;
    const headers = { ...(authorization === null ? {} : { authorization }), ...rest.headers };
    return invoke(handler, apiEvent(method, path, { ...rest, headers }));
  };
  return {
    request,
    get: (path, query) => request('GET', path, query === undefined ? {} : { query }),
    post: (path, body, options = {}) => request('POST', path, { ...options, ...(body === undefined ? {} : { body }) }),
    patch: (path, body, options = {}) => request('PATCH', path, { ...options, ...(body === undefined ? {} : { body }) }),
    delete: (path) => request('DELETE', path),
  };
}

// ---- Test doubles shared by the api and sweep integration tests ----

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public time: number) {}

  now(): number {
    return this.time;
  }

  advance(ms: number): void {
    this.time += ms;
  }
}

/**
 * Wraps a real DeliveryQueue: `failNext(n)` makes the next n sends throw before anything is sent (an SQS
 * outage), and every successful send is recorded.
 */
export class FlakyQueue implements DeliveryQueue {
  readonly sent: QueuedDelivery[][] = [];
  private failures = 0;

  constructor(private readonly inner: DeliveryQueue) {}

  failNext(times = 1): void {
    this.failures = times;
  }

  async send(messages: readonly QueuedDelivery[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('simulated SQS outage');
    }
    await this.inner.send(messages);
    this.sent.push([...messages]);
  }

  /** Every message sent so far, flattened. */
  messages(): QueuedDelivery[] {
    return this.sent.flat();
  }
}

/** Every item of a table (all pages). */
export async function scanTable(doc: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** A logger that keeps every line, to assert what was (and was not) logged. */
export class MemoryLogger {
  readonly lines: { level: 'info' | 'warn' | 'error'; message: string; fields: Record<string, unknown> }[] = [];

  info(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'info', message, fields });
  }

  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'warn', message, fields });
  }

  error(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'error', message, fields });
  }

  text(): string {
    return JSON.stringify(this.lines);
  }
}

export const TEST_API_KEY = 'test-api-key-0123456789';

/** The portal session secret of the test api; {@link TestApi.rotatePortalSecret} changes it. */
export const TEST_PORTAL_SECRET = 'test-portal-secret-0123456789';

export interface TestApi {
  readonly api: ApiClient;
  readonly handler: ReturnType<typeof createApiHandler>;
  readonly queue: FlakyQueue;
  readonly logger: MemoryLogger;
  /** Replaces the portal session secret (as rotating it in Secrets Manager does): every session minted before ends. */
  rotatePortalSecret(value: string): void;
}

/**
 * The real api handler over a test environment's table and delivery queue (through a FlakyQueue), with a
 * static API key, the given clock, and private targets refused unless asked for.
 */
export function createTestApi(
  env: TestEnvironment,
  clock: Clock,
  options: {
    allowPrivateTargets?: boolean;
    maxPayloadBytes?: number;
    randomBytes?: (n: number) => Uint8Array;
    /** The queue behind the FlakyQueue. @default SqsDeliveryQueue on the environment's delivery queue */
    innerQueue?: DeliveryQueue;
  } = {},
): TestApi {
  const queue = new FlakyQueue(options.innerQueue ?? new SqsDeliveryQueue(env.clients.sqs, env.resources.deliveryQueueUrl));
  const logger = new MemoryLogger();
  const metrics = new MemoryMetrics();
  let portalSecret = TEST_PORTAL_SECRET;
  const handler = createApiHandler({
    doc: env.clients.doc,
    tableName: env.resources.tableName,
    queue,
    secrets: env.secrets,
    apiKeys: new StaticApiKeys([TEST_API_KEY]),
    portalSecret: async () => portalSecret,
    clock,
    randomBytes: options.randomBytes ?? ((n) => randomBytes(n)),
    metrics,
    config: {
      allowPrivateTargets: options.allowPrivateTargets ?? false,
      retentionDays: 30,
      ...(options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: options.maxPayloadBytes }),
    },
    logger,
  });
  return { api: apiClient(handler, TEST_API_KEY), handler, queue, logger, rotatePortalSecret: (value) => void (portalSecret = value) };
}

/** Receives (and deletes) every message on the delivery queue and returns their bodies. */
export async function drainDeliveryQueue(env: TestEnvironment): Promise<{ deliveryId: string; attempt: number; redelivery?: true }[]> {
  const messages = await env.drain(env.resources.deliveryQueueUrl, { max: 1000 });
  return messages.map((m) => JSON.parse(m.Body ?? '{}') as { deliveryId: string; attempt: number; redelivery?: true });
}

/** What {@link useTestApi} gives a test file; `env` and `t` exist once `beforeAll` ran. */
export interface TestApiHarness {
  readonly env: TestEnvironment;
  readonly t: TestApi;
  readonly clock: TestClock;
}

/**
 * Registers the usual hooks of an API test file: the emulators and the api handler started once, the delivery
 * queue drained before each test, the emulators stopped at the end.
 */
export function useTestApi(start: number): TestApiHarness {
  const clock = new TestClock(start);
  let env: TestEnvironment | undefined;
  let t: TestApi | undefined;
  beforeAll(async () => {
    env = await startTestEnvironment();
    t = createTestApi(env, clock);
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(async () => {
    await drainDeliveryQueue(env!);
  });
  return {
    get env() {
      return env!;
    },
    get t() {
      return t!;
    },
    clock,
  };
}
