/**
 * `herald doctor`: checks a deployment (or local mode) end to end, step by step, and cleans up after itself.
 *
 * 1. the API answers; 2. the key works; 3. this machine's clock agrees with the API's (receivers reject
 * signatures more than 5 minutes off); then a real round trip: 4. a temporary endpoint pointing at a receiver,
 * under a tenant of its own so no real endpoint receives the test event; 5. a publish; 6. the delivery arrives
 * signed and verifies with the Standard Webhooks library; 7. the receiver answers 503 with Retry-After: 1,
 * and Herald retries after that wait and delivers. The endpoint is deleted at the end whatever happened.
 *
 * The receiver is doctor's own HTTP server on 127.0.0.1 when the deployment accepts private targets (local
 * mode). Otherwise `--receiver-url` names a public receiver; doctor then cannot see the requests itself, so it
 * follows the delivery through the API instead and says which checks it could not make.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { HeraldApiError, type DeliveryBody, type EndpointBody, type HeraldClient } from '../client/index';
import { OPERATIONS } from '../lambdas/api/schemas/operations';
import type { Output } from './output';

export interface DoctorStep {
  readonly ok: boolean;
  readonly step: string;
  readonly detail?: string;
  /** What to do about a ✗. */
  readonly fix?: string;
}

export interface DoctorOptions {
  readonly url: string;
  readonly receiverUrl?: string;
  readonly json: boolean;
  /** How long to wait for each delivery. @default 30000 */
  readonly waitMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The largest clock difference doctor accepts; Standard Webhooks receivers allow 5 minutes. */
export const MAX_CLOCK_SKEW_MS = 30_000;

interface Received {
  readonly at: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Doctor's own receiver: answers the first delivery 503 with Retry-After: 1, every later one 200. */
export class DoctorReceiver {
  private readonly received: Received[] = [];
  private waiters: (() => void)[] = [];
  private server: Server | undefined;

  constructor(private readonly now: () => number) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req).then((first) => {
      if (first) res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' }).end('herald doctor: try again in 1 s');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    }));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/herald-doctor`;
  }

  private async handle(req: IncomingMessage): Promise<boolean> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    this.received.push({ at: this.now(), headers, body: Buffer.concat(chunks).toString('utf8') });
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
    return this.received.length === 1;
  }

  /** The n-th request (1-based), or undefined when it has not come within `timeoutMs`. */
  async request(n: number, timeoutMs: number): Promise<Received | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received[n - 1];
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const mark = (s: DoctorStep) => `${s.ok ? '✓' : '✗'} ${s.step}${s.detail ? `: ${s.detail}` : ''}${!s.ok && s.fix ? `\n    fix: ${s.fix}` : ''}`;

function apiFailure(error: unknown): string {
  if (error instanceof HeraldApiError) return error.status === 0 ? error.message : `${error.status} ${error.code}: ${error.message}`;
  return (error as Error).message;
}

/** Runs every check; returns the steps (and prints each as it completes). */
export async function doctor(client: HeraldClient, output: Output, options: DoctorOptions): Promise<DoctorStep[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const waitMs = options.waitMs ?? 30_000;
  const steps: DoctorStep[] = [];
  const report = (step: DoctorStep): boolean => {
    steps.push(step);
    if (!options.json) output.out(mark(step));
    return step.ok;
  };

  // 1. The API answers (and 3. its clock, from the same answer's Date header).
  let serverDate: number | undefined;
  let localAtAnswer = 0;
  try {
    const started = now();
    const health = await client.call<{ status: string }>(OPERATIONS.health);
    localAtAnswer = now();
    const date = health.headers.get('date');
    serverDate = date === null ? undefined : Date.parse(date);
    report({ ok: true, step: `API answers at ${options.url}`, detail: `${localAtAnswer - started} ms` });
  } catch (error) {
    report({
      ok: false,
      step: `API answers at ${options.url}`,
      detail: apiFailure(error),
      fix: 'start local mode with `npm start`, or point at the deployment: --url <ApiUrl output>, HERALD_URL, or --stack NAME',
    });
    return steps;
  }

  // 2. The key works.
  try {
    await client.listEndpoints({ limit: 1 });
    report({ ok: true, step: 'API key accepted' });
  } catch (error) {
    const refused = error instanceof HeraldApiError && error.status === 401;
    report({
      ok: false,
      step: 'API key accepted',
      detail: apiFailure(error),
      fix: refused
        ? 'the key was refused: use the key `npm start` printed (kept in .herald-data), or the secret named by the stack output ApiKeySecretArn; pass it as --api-key or HERALD_API_KEY'
        : 'the API failed: see its logs',
    });
    return steps;
  }

  // 3. The clock.
  if (serverDate === undefined || Number.isNaN(serverDate)) {
    report({ ok: true, step: 'clock', detail: 'the API sent no Date header to compare with (not checked)' });
  } else {
    // The Date header has whole seconds: allow one second for that.
    const skew = localAtAnswer - serverDate;
    const off = Math.abs(skew) > MAX_CLOCK_SKEW_MS + 1000;
    report({
      ok: !off,
      step: 'clock in step with the API',
      detail: `${skew >= 0 ? '+' : ''}${Math.round(skew / 1000)} s`,
      ...(off ? { fix: 'sync this machine\'s clock (e.g. `sudo timedatectl set-ntp true`): receivers reject webhook signatures more than 5 minutes off' } : {}),
    });
  }

  // 4-7. The round trip.
  const receiver = options.receiverUrl === undefined ? new DoctorReceiver(now) : undefined;
  let endpoint: EndpointBody | undefined;
  const tenant = `herald-doctor-${randomBytes(6).toString('hex')}`;
  try {
    const receiverUrl = options.receiverUrl ?? (await receiver!.start());
    try {
      endpoint = await client.createEndpoint({
        url: receiverUrl,
        description: 'herald doctor (temporary: deleted when doctor ends)',
        tenant,
        eventTypes: ['herald.doctor'],
        retryPolicy: { backoff: { baseSeconds: 1, maxDelaySeconds: 5, jitter: 'none' }, maxAttempts: 3, retryAfter: { statuses: [503], minSeconds: 1, maxSeconds: 10 } },
        timeoutMs: 10_000,
      });
      report({ ok: true, step: 'temporary endpoint created', detail: `${endpoint.id} → ${receiverUrl}` });
    } catch (error) {
      const privateRefused = error instanceof HeraldApiError && error.status === 400 && error.details.some((d) => d.path === 'url');
      report({
        ok: false,
        step: 'temporary endpoint created',
        detail: error instanceof HeraldApiError && error.details.length > 0 ? error.details.map((d) => `${d.path} ${d.message}`).join('; ') : apiFailure(error),
        fix: privateRefused && options.receiverUrl === undefined
          ? "this deployment refuses private targets, so doctor's own receiver cannot be used: pass --receiver-url with a public https receiver"
          : 'see the message above',
      });
      return steps;
    }

    const nonce = randomBytes(8).toString('hex');
    let deliveryId: string;
    try {
      const accepted = await client.publish({ type: 'herald.doctor', data: { nonce, sentAt: new Date(now()).toISOString() }, tenant });
      const mine = accepted.deliveries.find((d) => d.endpointId === endpoint!.id);
      if (mine === undefined) throw new Error(`the event fanned out to ${accepted.deliveries.length} deliveries, none to the doctor endpoint`);
      deliveryId = mine.id;
      report({ ok: true, step: 'event published', detail: `${accepted.id}, delivery ${deliveryId}` });
    } catch (error) {
      report({ ok: false, step: 'event published', detail: apiFailure(error), fix: 'see the message above; the API logs say more' });
      return steps;
    }

    if (receiver !== undefined) {
      const first = await receiver.request(1, waitMs);
      if (first === undefined) {
        report({
          ok: false,
          step: 'signed delivery received',
          detail: `nothing arrived in ${waitMs / 1000} s`,
          fix: 'the deliver worker is not running or cannot reach the receiver: local mode runs it with `npm start`; on AWS see the deliver Lambda logs',
        });
        return steps;
      }
      try {
        const payload = new Webhook(endpoint.secret as string).verify(first.body, first.headers) as { data?: { nonce?: string } };
        if (payload.data?.nonce !== nonce) throw new Error('the payload is not the event doctor published');
        report({ ok: true, step: 'signed delivery verified (Standard Webhooks)', detail: `webhook-id ${first.headers['webhook-id']}` });
      } catch (error) {
        report({
          ok: false,
          step: 'signed delivery verified (Standard Webhooks)',
          detail: (error as Error).message,
          fix: 'the signature or its timestamp did not verify: check the clock step above and that nothing between Herald and the receiver rewrites the body',
        });
        return steps;
      }
      const second = await receiver.request(2, waitMs);
      if (second === undefined) {
        report({
          ok: false,
          step: '503 with Retry-After: 1, then the retry',
          detail: `no retry arrived in ${waitMs / 1000} s`,
          fix: 'retries are scheduled by the deliver worker (local mode) or the retry queue and EventBridge Scheduler (AWS): check those are running',
        });
        return steps;
      }
      const gap = (second.at - first.at) / 1000;
      const early = gap < 0.9;
      report({
        ok: !early && second.headers['webhook-id'] === first.headers['webhook-id'],
        step: '503 with Retry-After: 1, then the retry',
        detail: `retried after ${gap.toFixed(1)} s with the same webhook-id`,
        ...(early ? { fix: 'the retry came before Retry-After allowed: the retry policy ignored it' } : {}),
      });
    }

    // Follow the delivery through the API until it is final.
    const deadline = now() + waitMs;
    let delivery: DeliveryBody;
    for (;;) {
      delivery = await client.getDelivery(deliveryId);
      if (delivery.status === 'delivered' || delivery.status === 'dead' || delivery.status === 'canceled' || now() > deadline) break;
      await sleep(250);
    }
    const attempts = delivery.attempts ?? [];
    const basis = attempts[0]?.next.kind === 'retry' ? attempts[0].next.basis : undefined;
    report({
      ok: delivery.status === 'delivered',
      step: 'delivery recorded as delivered',
      detail: `${delivery.status} after ${attempts.length} attempts (${attempts.map((a) => a.statusCode ?? a.outcome).join(', ')})${basis === undefined ? '' : `, first retry timed by ${basis}`}`,
      ...(delivery.status === 'delivered' ? {} : { fix: `see \`herald deliveries get ${deliveryId}\` for each attempt's error` }),
    });
  } finally {
    if (endpoint !== undefined) {
      try {
        await client.deleteEndpoint(endpoint.id);
        report({ ok: true, step: 'cleaned up', detail: `endpoint ${endpoint.id} deleted (the doctor event expires with the retention period)` });
      } catch (error) {
        report({ ok: false, step: 'cleaned up', detail: apiFailure(error), fix: `delete it by hand: herald endpoints delete ${endpoint.id}` });
      }
    }
    await receiver?.stop();
  }
  return steps;
}
