/**
 * Local mode's HTTP front (local/api-gateway.ts) as a client and a web page meet it: the key is checked before the
 * body is read, JSON answers are never sniffed, and browsers are served only from the API's own origin.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHerald, type LocalHerald } from '../../../local/herald-local';
import { loopbackRefusal } from '../../../local/loopback-guard';

const KEY = 'gateway-test-key-0123456789';

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** Bytes of the request body written before the answer arrived. */
  readonly sentBeforeAnswer: number;
}

/**
 * Starts a POST that announces `announced` bytes but writes only the first 64 KiB, then waits for the answer. A
 * server that buffers the body before answering never answers (the test times out).
 */
function postAnnounced(port: number, headers: Record<string, string>, announced: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/events', headers: { ...headers, 'content-length': String(announced) } }, (res) => {
      const chunks: Buffer[] = [];
      const sentBeforeAnswer = sent;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), sentBeforeAnswer }));
    });
    req.on('error', (error) => (sent > 0 ? undefined : reject(error)));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    req.write(chunk);
    sent += chunk.length;
  });
}

function get(port: number, path: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), sentBeforeAnswer: 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('local API gateway', () => {
  let herald: LocalHerald;

  beforeAll(async () => {
    herald = await startLocalHerald({ port: 0, apiKey: KEY, sweepIntervalMs: 60_000, printAlert: () => undefined, logger: { info() {}, warn() {}, error() {} } });
  });
  afterAll(async () => {
    await herald?.stop();
  });

  it('answers 401 for a missing or wrong key before reading the body (10 MB announced, 64 KiB sent)', async () => {
    for (const authorization of [undefined, 'Bearer wrong-key']) {
      const answer = await postAnnounced(
        herald.port,
        { host: `127.0.0.1:${herald.port}`, 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
        10 * 1024 * 1024,
      );
      expect(answer.status).toBe(401);
      expect(answer.sentBeforeAnswer).toBe(64 * 1024);
      expect(JSON.parse(answer.body)).toEqual({ error: { code: 'unauthorized', message: 'missing or invalid API key', details: [] } });
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('lets a request with a valid key through to the handler, whose JSON answers carry nosniff', async () => {
    const res = await fetch(`${herald.url}/v1/endpoints`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-type')).toBe('application/json');
    const invalid = await fetch(`${herald.url}/v1/endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-content-type-options')).toBe('nosniff');
    const health = await fetch(`${herald.url}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves a browser only from its own origin, and only under a loopback Host', async () => {
    const port = herald.port;
    const auth = { authorization: `Bearer ${KEY}` };
    // The console's own calls: same origin (either loopback spelling of it).
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const host = new URL(origin).host;
      expect((await get(port, '/v1/endpoints', { ...auth, host, origin, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    }
    // Any other page: refused before the API sees it, even with the key.
    for (const origin of ['https://evil.example', `http://127.0.0.1:${port + 1}`, 'null']) {
      const refused = await get(port, '/v1/endpoints', { ...auth, host: `127.0.0.1:${port}`, origin });
      expect(refused.status).toBe(403);
    }
    expect((await get(port, '/v1/endpoints', { ...auth, host: `127.0.0.1:${port}`, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // DNS rebinding: the page's own host name, pointed at 127.0.0.1.
    expect((await get(port, '/console/', { host: `rebound.example:${port}` })).status).toBe(403);
    expect((await get(port, '/console/', { host: `127.0.0.1:${port}` })).status).toBe(200);
  });
});

describe('loopbackRefusal', () => {
  const port = 4566;
  it.each([
    // [headers, sameOrigin, refused]
    [{ host: '127.0.0.1:4566' }, false, false],
    [{ host: 'localhost:4566' }, false, false],
    [{ host: '[::1]:4566' }, false, false],
    [{ host: 'LOCALHOST' }, false, false],
    [{}, false, true],
    [{ host: '127.0.0.1:4567' }, false, true],
    [{ host: '127.0.0.2:4566' }, false, true],
    [{ host: 'evil.example:4566' }, false, true],
    [{ host: 'localhost.evil.example:4566' }, false, true],
    [{ host: '127.0.0.1:4566', origin: 'http://127.0.0.1:4566' }, false, true],
    [{ host: '127.0.0.1:4566', origin: 'http://127.0.0.1:4566' }, true, false],
    [{ host: '127.0.0.1:4566', origin: 'http://localhost:4566' }, true, false],
    [{ host: '127.0.0.1:4566', origin: 'https://127.0.0.1:4566' }, true, true],
    [{ host: '127.0.0.1:4566', origin: 'http://127.0.0.1:4566/x' }, true, true],
    [{ host: '127.0.0.1:4566', origin: 'null' }, true, true],
    [{ host: '127.0.0.1:4566', 'sec-fetch-site': 'none' }, false, false],
    [{ host: '127.0.0.1:4566', 'sec-fetch-site': 'same-site' }, true, true],
    [{ host: '127.0.0.1:4566', 'sec-fetch-site': 'same-origin' }, false, true],
    [{ host: '127.0.0.1:4566', 'sec-fetch-site': 'same-origin' }, true, false],
  ] as const)('%j (same origin allowed: %s) → refused: %s', (headers, sameOrigin, refused) => {
    expect(loopbackRefusal({ headers }, port, { sameOrigin }) !== undefined).toBe(refused);
  });
});
