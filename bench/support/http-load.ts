/**
 * A loopback HTTP load generator: `concurrency` keep-alive connections, each sending its next
 * request as soon as the previous response has been read, until `count` requests were sent or
 * `timeLimitMs` passed, whichever comes first. It is also the "plain POST loop" the delivery
 * benchmark compares Herald with, so it does nothing per request beyond node:http itself.
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadRequest {
  readonly body: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LoadOptions {
  /** `http://127.0.0.1:<port>/<path>` */
  readonly url: string;
  /** @default 'POST' */
  readonly method?: string;
  readonly concurrency: number;
  readonly count: number;
  readonly timeLimitMs: number;
  /** The i-th request (0-based). */
  readonly request: (index: number) => LoadRequest;
  /** Called with every response, its body and when it was sent and answered (performance.now() ms). */
  readonly onResponse?: (index: number, status: number, body: string, sentAt: number, answeredAt: number) => void;
}

export interface LoadResult {
  /** Requests answered. */
  readonly completed: number;
  /** Requests that failed at the transport level (no response). */
  readonly errors: number;
  readonly statuses: ReadonlyMap<number, number>;
  /** Send-to-last-byte latency of every answered request, ms. */
  readonly latenciesMs: readonly number[];
  /** From the first send to the last answer, ms. */
  readonly elapsedMs: number;
  /** True when the time limit stopped the run before `count`. */
  readonly timedOut: boolean;
}

/** Runs the load and resolves when every connection is idle again; never rejects on request errors. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, maxFreeSockets: options.concurrency });
  const statuses = new Map<number, number>();
  const latenciesMs: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.timeLimitMs;
  let timedOut = false;

  const one = (index: number) =>
    new Promise<void>((resolve) => {
      const { body, headers } = options.request(index);
      const payload = typeof body === 'string' ? Buffer.from(body) : body;
      const sentAt = performance.now();
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: options.method ?? 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const answeredAt = performance.now();
            const status = res.statusCode ?? 0;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            latenciesMs.push(answeredAt - sentAt);
            options.onResponse?.(index, status, Buffer.concat(chunks).toString('utf8'), sentAt, answeredAt);
            resolve();
          });
          res.on('error', () => {
            errors++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(payload);
    });

  const worker = async () => {
    while (next < options.count) {
      if (performance.now() >= deadline) {
        timedOut = true;
        return;
      }
      await one(next++);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { completed: latenciesMs.length, errors, statuses, latenciesMs, elapsedMs, timedOut };
}
