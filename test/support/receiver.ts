/**
 * A real webhook receiver for tests: an HTTP (or HTTPS) server on 127.0.0.1 that records every
 * request and answers each path the way a test scripts it: any status with headers and body, a
 * long body, never answering (hang), or dropping the connection mid-request.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Reply =
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string }
  /** Reads the request and never answers (until the receiver closes). */
  | { readonly hang: true }
  /** Reads the request, then destroys the connection without a response. */
  | { readonly destroy: true }
  /** Sends the status line and headers, then never finishes the body. */
  | { readonly stall: true; readonly status: number };

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The client's port: the same port on two requests means the connection was reused. */
  readonly remotePort: number;
  /** 1-based number of this request among those to its path. */
  readonly n: number;
}

export type Script = (request: ReceivedRequest) => Reply;

export interface Receiver {
  readonly port: number;
  readonly origin: string;
  /** `http(s)://127.0.0.1:<port><path>`. */
  url(path?: string): string;
  /** Scripts the answers on one path (default: 200 "ok"). */
  on(path: string, script: Script): void;
  /** Every request so far, in arrival order. */
  readonly requests: readonly ReceivedRequest[];
  requestsTo(path: string): ReceivedRequest[];
  /** Resolves once `count` requests reached `path`. */
  waitFor(path: string, count: number, timeoutMs?: number): Promise<void>;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Serve HTTPS with this key and certificate. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const scripts = new Map<string, Script>();
  const requests: ReceivedRequest[] = [];
  const waiters: { path: string; count: number; resolve: () => void }[] = [];
  let connections = 0;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path,
        headers: { ...req.headers },
        body: Buffer.concat(chunks).toString('utf8'),
        remotePort: req.socket.remotePort ?? 0,
        n: requests.filter((r) => r.path === path).length + 1,
      };
      requests.push(request);
      for (const w of waiters.filter((w) => w.path === path && requests.filter((r) => r.path === path).length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const script: Script = scripts.get(path) ?? (() => ({ status: 200, body: 'ok' }));
      const reply = script(request);
      if ('hang' in reply) return;
      if ('destroy' in reply) {
        req.socket.destroy();
        return;
      }
      if ('stall' in reply) {
        res.writeHead(reply.status, { 'content-type': 'text/plain', 'content-length': '1000' });
        res.write('partial');
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
    });
  };

  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handle) : createHttpServer(handle);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    port,
    origin,
    url: (path = '/') => `${origin}${path}`,
    on: (path, script) => scripts.set(path, script),
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    waitFor: (path, count, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        if (requests.filter((r) => r.path === path).length >= count) return resolve();
        const timer = setTimeout(() => reject(new Error(`fewer than ${count} request(s) reached ${path}`)), timeoutMs);
        waiters.push({ path, count, resolve: () => (clearTimeout(timer), resolve()) });
      }),
    get connections() {
      return connections;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A fresh self-signed certificate for `localhost` and 127.0.0.1, made with the `openssl` CLI;
 * undefined when openssl is not installed (the TLS tests are then skipped, saying why).
 */
export function selfSignedCertificate(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'herald-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
