/**
 * What the browser tests of the console share: a receiver answering 200 or 500 on demand, local mode (`npm start`)
 * as a child process on a free port, and Chromium with the page's problems (script errors, CSP violations, layout
 * shifts) recorded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

// ---------------------------------------------------------------------------------------------------------------
// The receiver: 200 or 500 on demand, keeps what it received.

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Receiver {
  readonly url: string;
  status: number;
  readonly received: Received[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const state = { status: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(state.status, { 'content-type': 'text/plain' });
      res.end(state.status === 200 ? 'ok' : '<b>receiver failure</b>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Local mode as a child process.

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface LocalHerald {
  readonly base: string;
  readonly child: ChildProcess;
  output(): string;
}

export async function startLocalMode(dataDir: string, apiKey: string, env: Readonly<Record<string, string>> = {}): Promise<LocalHerald> {
  const port = await freePort();
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HERALD_API_KEY: apiKey,
      HERALD_DATA_DIR: dataDir,
      HERALD_ALLOW_PRIVATE_TARGETS: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local mode did not start within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /Herald listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve((match[1] as string).replace(/\/$/, ''));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local mode exited with ${code}:\n${output}`));
    });
  });
  return { base, child, output: () => output };
}

/** Calls local mode's API with `key` (as a client outside the browser would): the status and the parsed body. */
export async function callApi(base: string, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? null : JSON.parse(text) };
}

export async function stopLocalMode(herald: LocalHerald | undefined): Promise<void> {
  const child = herald?.child;
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Chromium (headless, Debian's) with a persistent profile in `userDataDir`; every CSP violation and script error is
 * pushed to `problems`, and `window.__cls` sums the layout shifts not caused by input.
 */
export async function launchConsoleBrowser(userDataDir: string, problems: string[], viewport = { width: 1100, height: 900 }): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await context.exposeFunction('__heraldCspViolation', (violation: string) => problems.push(`CSP violation: ${violation}`));
  await context.addInitScript(`
      window.__cls = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
      }).observe({ type: 'layout-shift', buffered: true });
      document.addEventListener('securitypolicyviolation', (e) => {
        void window.__heraldCspViolation(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample);
      });
    `);
  return context;
}

/** The context's page, with script errors and console errors (but those matching `expected`) pushed to `problems`. */
export async function consolePage(context: BrowserContext, problems: string[], expected?: RegExp): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !(expected?.test(message.text()) ?? false)) problems.push(`console error: ${message.text()}`);
  });
  return page;
}

/** Closes the browser, stops local mode and the receiver, and removes the temporary folders. */
export async function closeAll(parts: { context?: BrowserContext; herald?: LocalHerald; receiver?: Receiver; dirs: (string | undefined)[] }): Promise<void> {
  await parts.context?.close();
  await stopLocalMode(parts.herald);
  await parts.receiver?.close();
  for (const dir of parts.dirs) if (dir) rmSync(dir, { recursive: true, force: true });
}
