/**
 * The fastest honest webhook receiver: node:http, reads the body, answers `200 {}` at once (or a
 * scripted status), keeps connections alive. Started in-process (the end-to-end and cost runs,
 * which record when each webhook arrived) or as a child process (the delivery-overhead run, so the
 * receiver does not share the event loop, and as far as possible the core, of what is measured).
 *
 * As a child: `node --import tsx bench/support/fast-receiver.ts` prints `{"port":N}` on its first
 * line, answers `GET /stats` with `{"posts":N}`, and exits when its stdin closes.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface PostInfo {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** performance.now() when the whole request had arrived. */
  readonly receivedAt: number;
}

export interface FastReceiverOptions {
  /**
   * Sees each POST (after its body arrived) and may pick the status; 200 when it returns nothing. `'hang'` never
   * answers (the request stays open until the sender gives up or the receiver closes): an endpoint that hangs.
   */
  readonly onPost?: (post: PostInfo) => number | 'hang' | void;
  /** Keep the body for `onPost` (costs a string per request). @default true when onPost is given */
  readonly keepBody?: boolean;
}

export interface FastReceiver {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly posts: () => number;
  close(): Promise<void>;
}

const EMPTY_JSON = Buffer.from('{}');

export async function startFastReceiver(options: FastReceiverOptions = {}): Promise<FastReceiver> {
  let posts = 0;
  const keepBody = options.keepBody ?? options.onPost !== undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      if (keepBody) chunks.push(c);
    });
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ posts }));
        return;
      }
      posts++;
      let status = 200;
      if (options.onPost !== undefined) {
        const chosen = options.onPost({
          path: req.url ?? '/',
          headers: req.headers,
          body: keepBody ? Buffer.concat(chunks).toString('utf8') : '',
          receivedAt: performance.now(),
        });
        if (chosen === 'hang') return;
        if (typeof chosen === 'number') status = chosen;
      }
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': EMPTY_JSON.length }).end(EMPTY_JSON);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    posts: () => posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface ChildReceiver {
  readonly port: number;
  readonly origin: string;
  /** POSTs answered so far. */
  posts(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the receiver in its own Node process (with the tsx loader) and waits for its port. */
export async function spawnFastReceiver(): Promise<ChildReceiver> {
  const file = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the receiver process did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`the receiver process exited (${code}) before it listened`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    port,
    origin,
    async posts() {
      const res = await fetch(`${origin}/stats`);
      return ((await res.json()) as { posts: number }).posts;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

async function main(): Promise<void> {
  const receiver = await startFastReceiver();
  process.stdout.write(`${JSON.stringify({ port: receiver.port })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void receiver.close().then(() => process.exit(0)));
  process.on('SIGTERM', () => void receiver.close().then(() => process.exit(0)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void main();
}
