/**
 * `npm run receiver`: an example webhook receiver. It verifies every request with the Standard Webhooks
 * library (as a customer would), prints each event, and can be told to fail so you can watch Herald retry.
 *
 *   WEBHOOK_SECRET=whsec_... npm run receiver            # listen on http://127.0.0.1:4000/webhook
 *   curl -X POST localhost:4000/control -d '{"status":503,"retryAfter":"5","times":3}'
 *   curl -X POST localhost:4000/control -d '{"status":200}'   # back to normal
 *
 * Environment: RECEIVER_PORT (4000), WEBHOOK_SECRET (verify signatures; without it requests are shown as unverified),
 * FAIL_STATUS / FAIL_DELAY_MS / FAIL_RETRY_AFTER (start in failing mode).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';

export interface ReceiverBehaviour {
  /** Status to answer (200 = accept). */
  status: number;
  /** Wait this long before answering. */
  delayMs: number;
  /** Retry-After header value to send with a non-2xx answer. */
  retryAfter?: string;
  /** Answer with this behaviour only this many times, then go back to 200. Unlimited when absent. */
  times?: number;
}

export interface ReceivedWebhook {
  readonly id: string;
  readonly type: string;
  readonly verified: boolean;
  readonly answeredStatus: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

export interface Receiver {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  readonly received: ReceivedWebhook[];
  behave(next: Partial<ReceiverBehaviour>): void;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  readonly port?: number;
  readonly secret?: string;
  readonly behaviour?: Partial<ReceiverBehaviour>;
  readonly log?: (line: string) => void;
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const log = options.log ?? (() => undefined);
  const verifier = options.secret ? new Webhook(options.secret) : undefined;
  let behaviour: ReceiverBehaviour = { status: 200, delayMs: 0, ...options.behaviour };
  const received: ReceivedWebhook[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'POST' && path === '/control') {
        try {
          const next = JSON.parse(raw || '{}') as Partial<ReceiverBehaviour>;
          behaviour = { status: 200, delayMs: 0, ...next };
          log(`receiver: now answering ${behaviour.status}${behaviour.retryAfter ? ` (Retry-After ${behaviour.retryAfter})` : ''}${behaviour.delayMs ? ` after ${behaviour.delayMs} ms` : ''}${behaviour.times ? ` for ${behaviour.times} request(s)` : ''}`);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(behaviour));
        } catch {
          res.writeHead(400).end('control body must be JSON');
        }
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('Herald example receiver: POST webhooks to /webhook\n');
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      let verified = false;
      let body: unknown;
      try {
        body = verifier ? verifier.verify(raw, headers) : JSON.parse(raw);
        verified = verifier !== undefined;
      } catch {
        body = undefined;
      }
      if (verifier && !verified) {
        log(`receiver: ✗ rejected ${headers['webhook-id'] ?? '?'}: signature did not verify`);
        received.push({ id: headers['webhook-id'] ?? '', type: '', verified: false, answeredStatus: 401, body: raw, headers });
        res.writeHead(401).end('invalid signature');
        return;
      }
      const current = behaviour;
      if (current.times !== undefined) {
        current.times -= 1;
        if (current.times <= 0) behaviour = { status: 200, delayMs: 0 };
      }
      const envelope = (body ?? {}) as { id?: string; type?: string };
      const answer = () => {
        received.push({ id: envelope.id ?? '', type: envelope.type ?? '', verified, answeredStatus: current.status, body, headers });
        const mark = current.status >= 200 && current.status < 300 ? '✓' : '✗';
        log(`receiver: ${mark} ${envelope.type ?? '?'} ${envelope.id ?? '?'} ${verified ? '(signature ok)' : '(unverified)'} → ${current.status}`);
        if (verified || !verifier) log(`          ${JSON.stringify(body)}`);
        const h: Record<string, string> = { 'content-type': 'application/json' };
        if (current.retryAfter && current.status >= 300) h['retry-after'] = current.retryAfter;
        if (!res.destroyed) res.writeHead(current.status, h).end(JSON.stringify({ received: envelope.id ?? null }));
      };
      if (current.delayMs > 0) setTimeout(answer, current.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    behave(next) {
      behaviour = { status: 200, delayMs: 0, ...next };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const secret = env.WEBHOOK_SECRET;
  const receiver = await startReceiver({
    port: Number(env.RECEIVER_PORT ?? 4000),
    ...(secret ? { secret } : {}),
    behaviour: {
      status: Number(env.FAIL_STATUS ?? 200),
      delayMs: Number(env.FAIL_DELAY_MS ?? 0),
      ...(env.FAIL_RETRY_AFTER ? { retryAfter: env.FAIL_RETRY_AFTER } : {}),
    },
    log: (line) => console.log(line),
  });
  console.log(`Receiver listening on ${receiver.url}`);
  if (!secret) console.log('WEBHOOK_SECRET is not set: requests are accepted without signature verification.');
  console.log(`Make it fail:  curl -X POST http://127.0.0.1:${receiver.port}/control -d '{"status":503,"retryAfter":"5"}'`);
  console.log(`Back to 200:   curl -X POST http://127.0.0.1:${receiver.port}/control -d '{"status":200}'`);
  const stop = () => void receiver.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void main();
}
