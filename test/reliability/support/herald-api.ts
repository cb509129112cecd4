/**
 * Talks to a running Herald (in-process local mode or a child process) over real HTTP, the way a client does,
 * with full control over the bytes: any method, path, headers (or none), and raw bodies (invalid UTF-8 included).
 * Plus what the reliability tests check over and over: the error shape, waiting until deliveries are final,
 * draining a queue, and reading the printed alerts.
 */
import { request as httpRequest } from 'node:http';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** The parsed body, or undefined when it is not JSON. */
  readonly json: any;
}

export interface RequestOptions {
  /** An object is sent as JSON; a string or Buffer as is. */
  readonly body?: unknown;
  /** Headers to send; `content-type: application/json` is added for a body unless a content-type (or null) is given. */
  readonly headers?: Readonly<Record<string, string | null>>;
  /** The Authorization header: the API key by default, null for none. */
  readonly auth?: string | null;
}

export interface HeraldApi {
  readonly url: string;
  request(method: string, path: string, options?: RequestOptions): Promise<HttpAnswer>;
  post(path: string, body?: unknown, headers?: Readonly<Record<string, string | null>>): Promise<HttpAnswer>;
  get(path: string): Promise<HttpAnswer>;
}

/** A client of the HTTP API at `baseUrl` (`http://127.0.0.1:<port>`) authenticating with `apiKey`. */
export function heraldApi(baseUrl: string, apiKey: string): HeraldApi {
  const base = new URL(baseUrl);
  const request = (method: string, path: string, options: RequestOptions = {}): Promise<HttpAnswer> => {
    let body: Buffer | undefined;
    if (options.body !== undefined) {
      body = Buffer.isBuffer(options.body)
        ? options.body
        : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body), 'utf8');
    }
    const headers: Record<string, string> = {};
    const auth = options.auth === undefined ? `Bearer ${apiKey}` : options.auth;
    if (auth !== null) headers.authorization = auth;
    const given = options.headers ?? {};
    if (body !== undefined && !Object.keys(given).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    for (const [name, value] of Object.entries(given)) if (value !== null) headers[name] = value;
    if (body !== undefined) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: base.hostname, port: base.port, method, path, headers, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? undefined : JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
  return {
    url: baseUrl,
    request,
    post: (path, body, headers) => request('POST', path, { body, ...(headers === undefined ? {} : { headers }) }),
    get: (path) => request('GET', path),
  };
}

/** Why an answer is not Herald's error shape `{"error": {"code", "message", "details": []}}` as JSON, or undefined when it is. */
export function errorShapeProblem(answer: HttpAnswer): string | undefined {
  const type = String(answer.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) return `content-type is "${type}"`;
  const e = answer.json?.error;
  if (e === undefined || e === null || typeof e !== 'object') return `no "error" object in ${answer.text.slice(0, 200)}`;
  if (typeof e.code !== 'string' || e.code === '') return 'error.code is not a non-empty string';
  if (typeof e.message !== 'string') return 'error.message is not a string';
  if (!Array.isArray(e.details)) return 'error.details is not a list';
  if (/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/.test(answer.text)) return 'the body looks like it carries a stack trace';
  return undefined;
}

export const FINAL_STATUSES: ReadonlySet<string> = new Set(['delivered', 'dead', 'canceled', 'skipped']);

export interface DeliveryRecord {
  readonly id: string;
  readonly eventId: string;
  readonly endpointId: string;
  readonly status: string;
  readonly attemptCount: number;
  readonly finalReason: string | null;
  readonly attempts: readonly { number: number; outcome: string; statusCode: number | null; next: { kind: string } }[];
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `GET /v1/deliveries/{id}` until every delivery is final or `timeoutMs` passes; a final delivery is not
 * asked again (final is final). Returns the last view of each delivery (final or not) keyed by id.
 */
export async function waitUntilFinal(
  api: HeraldApi,
  deliveryIds: readonly string[],
  options: { timeoutMs: number; intervalMs?: number; concurrency?: number; onProgress?: (open: number) => void },
): Promise<Map<string, DeliveryRecord>> {
  const latest = new Map<string, DeliveryRecord>();
  const deadline = Date.now() + options.timeoutMs;
  let open = [...new Set(deliveryIds)];
  for (;;) {
    const views = await mapLimit(open, options.concurrency ?? 8, async (id) => {
      const res = await api.get(`/v1/deliveries/${id}`);
      if (res.status !== 200) throw new Error(`GET /v1/deliveries/${id} answered ${res.status}: ${res.text.slice(0, 200)}`);
      return res.json as DeliveryRecord;
    });
    for (const v of views) latest.set(v.id, v);
    open = views.filter((v) => !FINAL_STATUSES.has(v.status)).map((v) => v.id);
    options.onProgress?.(open.length);
    if (open.length === 0 || Date.now() > deadline) return latest;
    await sleep(options.intervalMs ?? 1000);
  }
}

/** Receives and deletes every message of a queue until one receive comes back empty. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const res = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) return out;
    out.push(...messages);
    await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
    );
  }
}

/** One alert as printed by local mode ("ALERT (would be e-mailed): <subject>" then the message). */
export interface PrintedAlert {
  readonly kind: 'dead_letter' | 'summary' | 'endpoint_disabled' | 'other';
  readonly endpointId: string | undefined;
  /** Dead letters this alert reports: 1 (+ the earlier unreported ones it carries) for a first alert, the count for a summary. */
  readonly deadLetters: number;
  readonly deliveryId: string | undefined;
  readonly text: string;
}

/** Reads one alert printed by local mode (local/alert-printer.ts formats them). */
export function parseAlert(text: string): PrintedAlert {
  const subject = /ALERT \(would be e-mailed\): (.*)/.exec(text)?.[1] ?? '';
  const endpointId = /^Endpoint:\s+(\S+)/m.exec(text)?.[1];
  if (/webhook delivery dead-lettered/.test(subject)) {
    const earlier = Number(/Also, (\d+) earlier dead letter/.exec(text)?.[1] ?? 0);
    return { kind: 'dead_letter', endpointId, deadLetters: 1 + earlier, deliveryId: /^Delivery:\s+(\S+)/m.exec(text)?.[1], text };
  }
  if (/parked deliveries dead-lettered/.test(subject)) {
    // The one alert for parked deliveries that reached their maximum age together (and any earlier ones it carries).
    const earlier = Number(/Also, (\d+) earlier dead letter/.exec(text)?.[1] ?? 0);
    return { kind: 'dead_letter', endpointId, deadLetters: Number(/^Count:\s+(\d+)/m.exec(text)?.[1] ?? Number.NaN) + earlier, deliveryId: undefined, text };
  }
  if (/more dead-lettered deliveries/.test(subject)) {
    return { kind: 'summary', endpointId, deadLetters: Number(/^Count:\s+(\d+)/m.exec(text)?.[1] ?? Number.NaN), deliveryId: undefined, text };
  }
  if (/endpoint disabled/.test(subject)) return { kind: 'endpoint_disabled', endpointId, deadLetters: 0, deliveryId: undefined, text };
  return { kind: 'other', endpointId, deadLetters: 0, deliveryId: undefined, text };
}

/** Dead letters reported per endpoint by a list of printed alerts. */
export function deadLettersAlerted(alerts: readonly PrintedAlert[]): Map<string, { alerts: number; deadLetters: number }> {
  const out = new Map<string, { alerts: number; deadLetters: number }>();
  for (const a of alerts) {
    if ((a.kind !== 'dead_letter' && a.kind !== 'summary') || a.endpointId === undefined) continue;
    const entry = out.get(a.endpointId) ?? { alerts: 0, deadLetters: 0 };
    entry.alerts++;
    entry.deadLetters += a.deadLetters;
    out.set(a.endpointId, entry);
  }
  return out;
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns its last answer. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}
