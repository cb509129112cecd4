/**
 * Bad input: a seeded fuzz run over the publish and endpoint APIs of local mode, over real HTTP (the local API
 * Gateway in front of the real api handler), with private targets refused (HERALD_ALLOW_PRIVATE_TARGETS=false,
 * as in AWS).
 *
 * Inputs: random JSON of every shape, near-valid requests with random fields, huge and deeply nested bodies,
 * invalid UTF-8, wrong content types, header injection attempts in endpoint headers, and SSRF URLs in every
 * spelling the URL parser accepts (decimal, octal, hex, short and full-width IPv4, IPv6-mapped and -compatible,
 * NAT64, 6to4, link-local metadata addresses, loopback names, IDNA look-alikes, credentials).
 *
 * For every request: never a 5xx; every 4xx is the JSON error shape; and a rejected request stores nothing (the
 * whole table is compared before and after). Host names are checked where they can be: at connect time, so a
 * name that resolves to loopback is saved, then blocked without a connection. Redirects are never followed.
 */
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanTable } from '../support/api-events';
import { startReceiver, type Receiver } from '../support/receiver';
import { errorShapeProblem, waitUntilFinal, type HttpAnswer } from './support/herald-api';
import { startTestHerald, type TestHerald } from './support/local';
import { suiteSeed } from './support/seeded';

const SEED = suiteSeed();

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  /** JSON-encoded unless a string or Buffer. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string | null>>;
  /** A further expectation: a problem, or undefined. */
  readonly expect?: (res: HttpAnswer) => string | undefined;
  /** Answered by API Gateway itself (the request never reaches Herald), in API Gateway's own format. */
  readonly gateway?: boolean;
}

const status =
  (...allowed: number[]) =>
  (res: HttpAnswer) =>
    allowed.includes(res.status) ? undefined : `status ${res.status}, expected ${allowed.join(' or ')}: ${res.text.slice(0, 200)}`;

const urlRejected = (res: HttpAnswer) =>
  res.status === 400 && (res.json?.error?.details as { path: string }[] | undefined)?.some((d) => d.path === 'url')
    ? undefined
    : `expected 400 with a detail on "url", got ${res.status}: ${res.text.slice(0, 200)}`;

const headersRejected = (res: HttpAnswer) =>
  res.status === 400 && (res.json?.error?.details as { path: string }[] | undefined)?.some((d) => d.path.startsWith('headers'))
    ? undefined
    : `expected 400 with a detail on "headers", got ${res.status}: ${res.text.slice(0, 200)}`;

/** Endpoint URLs that must be refused when private targets are not allowed. */
const SSRF_URLS: readonly string[] = [
  'https://127.0.0.1/',
  'https://127.0.0.1:8443/hook',
  'https://127.1/',
  'https://2130706433/',
  'https://0177.0.0.1/',
  'https://0177.0000.0000.0001/',
  'https://127.000.000.001/',
  'https://017700000001/',
  'https://0x7f.1/',
  'https://0x7f000001/',
  'https://0x7f.0x0.0x0.0x1/',
  'https://127%2E0%2E0%2E1/',
  'https://１２７.０.０.１/',
  'https://127.0.0.1./',
  'https://0/',
  'https://0.0.0.0/',
  'https://[::1]/',
  'https://[0:0:0:0:0:0:0:1]/',
  'https://[::]/',
  'https://[::ffff:127.0.0.1]/',
  'https://[::ffff:7f00:1]/',
  'https://[0:0:0:0:0:ffff:127.0.0.1]/',
  'https://[::127.0.0.1]/',
  'https://[64:ff9b::7f00:1]/',
  'https://[2002:7f00:1::]/',
  'https://169.254.169.254/latest/meta-data/',
  'https://2852039166/latest/meta-data/',
  'https://0xa9fea9fe/',
  'https://0251.0376.0251.0376/',
  'https://[::ffff:169.254.169.254]/',
  'https://[::ffff:a9fe:a9fe]/',
  'https://169.254.170.2/v2/credentials',
  'https://[fd00:ec2::254]/',
  'https://[fe80::1]/',
  'https://[fe80::1%25eth0]/',
  'https://10.0.0.1/',
  'https://172.16.0.1/',
  'https://192.168.1.1/',
  'https://100.64.0.1/',
  'https://224.0.0.1/',
  'https://255.255.255.255/',
  'https://localhost/',
  'https://LOCALHOST./',
  'https://localhost%2e/',
  'https://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/',
  'https://api.localhost/',
  'https://user:pass@example.com/',
  'https://example.com@127.0.0.1/',
  'https://127.0.0.1#@example.com/',
  'http://example.com/hook',
  'http://93.184.216.34/',
  'file:///etc/passwd',
  'gopher://127.0.0.1:6379/_INFO',
  'ftp://example.com/',
  'javascript:alert(1)',
  'data:text/plain,hi',
  '//example.com/',
  '/relative/path',
  'https://',
  'https:// example.com/',
];

/** Endpoint headers that must be refused: CR/LF and other control characters, reserved and malformed names. */
const HEADER_INJECTIONS: readonly Record<string, unknown>[] = [
  { 'X-Token': 'abc\r\nX-Injected: 1' },
  { 'X-Token': 'abc\nX-Injected: 1' },
  { 'X-Token': 'abc\rX-Injected: 1' },
  { 'X-Token': 'abc\r\n\r\nGET /admin HTTP/1.1' },
  { 'X-Token': 'nul\u0000byte' },
  { 'X-Token': 'bell\u0007' },
  { 'X-Token': 'del\u007f' },
  { 'X-Token': 'line\u2028separator' },
  { 'X-Token': 'wide\u{1F600}char' },
  { 'X-Token\r\nX-Injected': '1' },
  { 'X-Token: 1\r\nX-Injected': '1' },
  { 'X Token': '1' },
  { 'X-Tökén': '1' },
  { '': '1' },
  { Host: 'evil.example' },
  { 'Content-Length': '0' },
  { 'Transfer-Encoding': 'chunked' },
  { 'content-type': 'text/plain' },
  { Connection: 'close' },
  { 'Webhook-Signature': 'v1,forged' },
  { 'webhook-id': 'msg_forged' },
  { 'X-A': 'one', 'x-a': 'two' },
  { 'X-Token': 42 },
  { 'X-Token': null },
  { 'X-Token': ['a', 'b'] },
  { 'X-Token': 'x'.repeat(4097) },
  Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])),
];

const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0x80],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
];

const nested = (depth: number, leaf = '0') => '['.repeat(depth) + leaf + ']'.repeat(depth);
const nestedObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** Non-public addresses by the usual ranges (the test's own check, independent of Herald's). */
function isNonPublic(address: string): boolean {
  const a = address.toLowerCase();
  if (a === '::1' || a.startsWith('fe80:') || a.startsWith('fc') || a.startsWith('fd') || a.startsWith('::ffff:127.')) return true;
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(a);
  if (m === null) return false;
  const [x, y] = [Number(m[1]), Number(m[2])];
  return x === 127 || x === 10 || (x === 172 && y >= 16 && y < 32) || (x === 192 && y === 168) || (x === 169 && y === 254) || x === 0;
}

/** Host names (other than `localhost`, which is refused when saved) that resolve only to non-public addresses here. */
async function namesResolvingPrivately(): Promise<string[]> {
  const out: string[] = [];
  for (const name of [hostname(), 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']) {
    try {
      const addresses = await lookup(name, { all: true });
      if (addresses.length > 0 && addresses.every((a) => isNonPublic(a.address)) && name !== 'localhost' && !name.endsWith('.localhost')) out.push(name);
    } catch {
      // does not resolve here
    }
  }
  return [...new Set(out)];
}

describe('bad input: fuzzing the publish and endpoint APIs (private targets refused)', () => {
  let t: TestHerald;
  let target: Receiver;

  beforeAll(async () => {
    target = await startReceiver();
    t = await startTestHerald({ allowPrivateTargets: false, sweepIntervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await t?.stop();
    await target?.close();
  });

  it('a host name that resolves to a loopback address is saved, then blocked at connect time: no connection is made', async (ctx) => {
    const names = await namesResolvingPrivately();
    if (names.length === 0) ctx.skip(`no host name other than localhost resolves to a private address on this machine (tried ${hostname()})`);
    const ids: string[] = [];
    for (const name of names) {
      const res = await t.api.post('/v1/endpoints', { url: `https://${name}:${target.port}/hook`, tenant: 'ssrf-connect', retryPolicy: { delays: ['1s'] } });
      expect(res.status, res.text).toBe(201);
      ids.push(res.json.id);
    }
    const published = await t.api.post('/v1/events', { type: 'ssrf.probe', tenant: 'ssrf-connect', data: {} });
    expect(published.status, published.text).toBe(202);
    const deliveries = published.json.deliveries.map((d: { id: string }) => d.id) as string[];
    expect(deliveries).toHaveLength(names.length);
    const views = await waitUntilFinal(t.api, deliveries, { timeoutMs: 20_000 });
    for (const v of views.values()) {
      expect(v.status).toBe('dead');
      expect(v.attempts.map((a) => a.outcome)).toEqual(['blocked']);
    }
    expect(target.connections, 'Herald connected to the loopback receiver').toBe(0);
    console.log(`ssrf at connect time: ${names.join(', ')} saved, then blocked with no connection`);
  }, 40_000);

  it(`never a 5xx, always the error shape, and nothing stored by a rejected request (seed ${SEED})`, async () => {
    // Deliveries are not what is fuzzed here: with the poller stopped, only the API writes to the table.
    await t.herald.poller.stop();
    const existing = await t.api.post('/v1/endpoints', { url: 'https://hooks.example.com/fuzz', tenant: 'fuzz', eventTypes: ['fuzz.*'] });
    expect(existing.status, existing.text).toBe(201);
    const endpointPath = `/v1/endpoints/${existing.json.id}`;

    const sample = <T>(arb: fc.Arbitrary<T>, numRuns: number, salt: number) => fc.sample(arb, { seed: SEED + salt, numRuns });
    const token = fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/);
    const eventType = fc.oneof(fc.constantFrom('fuzz.created', 'fuzz.updated', 'other.thing'), token);
    const anyJson = fc.jsonValue({ maxDepth: 4 });
    const cases: Case[] = [];

    // Publish: random JSON of any shape, then near-valid bodies with random fields.
    for (const [i, body] of sample(anyJson, 80, 1).entries()) cases.push({ name: `publish random json #${i}`, method: 'POST', path: '/v1/events', body: JSON.stringify(body) });
    const publishBody = fc.record(
      {
        type: fc.oneof(eventType, anyJson),
        data: anyJson,
        tenant: fc.oneof(fc.constant('fuzz'), token, fc.constant(null), anyJson),
        id: fc.oneof(token, anyJson),
        extra: anyJson,
      },
      { requiredKeys: [] },
    );
    const idemKey = fc.oneof(fc.constant(null), token, fc.string({ maxLength: 300 }), fc.constant('é-not-ascii'), fc.constant('x'.repeat(256)));
    for (const [i, [body, key]] of sample(fc.tuple(publishBody, idemKey), 100, 2).entries()) {
      cases.push({ name: `publish near-valid #${i}`, method: 'POST', path: '/v1/events', body, headers: { 'idempotency-key': key === null || /[^\t\x20-\x7e\x80-\xff]/.test(key) ? null : key } });
    }
    // Invalid UTF-8, alone, inside a JSON string, and random bytes.
    for (const bytes of INVALID_UTF8) {
      cases.push({ name: `publish invalid utf-8 ${bytes.map((b) => b.toString(16)).join(' ')}`, method: 'POST', path: '/v1/events', body: Buffer.concat([Buffer.from('{"type":"fuzz.created","data":"'), Buffer.from(bytes), Buffer.from('"}')]), expect: status(400) });
    }
    for (const [i, bytes] of sample(fc.uint8Array({ minLength: 1, maxLength: 64 }), 30, 3).entries()) {
      cases.push({ name: `publish random bytes #${i}`, method: 'POST', path: '/v1/events', body: Buffer.from(bytes) });
    }
    // Wrong content types with a valid body.
    const validPublish = JSON.stringify({ type: 'fuzz.created', tenant: 'fuzz', data: { ok: true } });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json', 'application/jsonp', 'application/json-seq', 'application/javascript', 'application/octet-stream', 'image/png', '*/*', 'json']) {
      cases.push({ name: `publish content-type ${type}`, method: 'POST', path: '/v1/events', body: validPublish, headers: { 'content-type': type }, expect: status(415) });
    }
    cases.push({ name: 'publish without content-type', method: 'POST', path: '/v1/events', body: validPublish, headers: { 'content-type': null }, expect: status(415) });
    // Huge and deeply nested bodies.
    cases.push({ name: 'publish 256 KiB + 1', method: 'POST', path: '/v1/events', body: JSON.stringify({ type: 'fuzz.created', tenant: 'fuzz', data: 'x'.repeat(262_145) }), expect: status(413) });
    cases.push({ name: 'publish 5 MB', method: 'POST', path: '/v1/events', body: 'x'.repeat(5_000_000), expect: status(413) });
    cases.push({
      name: 'publish 10 MB + 1 (over the API Gateway limit)',
      method: 'POST',
      path: '/v1/events',
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
      gateway: true,
      expect: (res) => status(413)(res) ?? (res.text === 'HTTP content length exceeded 10485760 bytes.' ? undefined : `not API Gateway's answer: ${res.text.slice(0, 100)}`),
    });
    cases.push({ name: 'publish 250 KB of data', method: 'POST', path: '/v1/events', body: JSON.stringify({ type: 'fuzz.created', tenant: 'fuzz', data: 'y'.repeat(250_000) }), expect: status(202) });
    cases.push({ name: 'publish 20 000 keys', method: 'POST', path: '/v1/events', body: JSON.stringify({ type: 'fuzz.created', tenant: 'fuzz', data: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])) }), expect: status(202, 413) });
    cases.push({ name: 'publish type of 10 000 characters', method: 'POST', path: '/v1/events', body: { type: 'a'.repeat(10_000), data: {} }, expect: status(400) });
    for (const depth of [20, 100, 1000, 2000, 5000, 20_000, 100_000]) {
      cases.push({ name: `publish data nested ${depth} deep (arrays)`, method: 'POST', path: '/v1/events', body: `{"type":"fuzz.created","tenant":"fuzz","data":${nested(depth)}}`, expect: status(202, 400) });
    }
    cases.push({ name: 'publish data nested 5000 deep (objects)', method: 'POST', path: '/v1/events', body: `{"type":"fuzz.created","tenant":"fuzz","data":${nestedObject(5000)}}`, expect: status(202, 400) });
    cases.push({ name: 'publish body nested 100 000 deep', method: 'POST', path: '/v1/events', body: nested(100_000), expect: status(400) });

    // Endpoints: random JSON, near-valid bodies, header injection, SSRF URLs (create and patch).
    for (const [i, body] of sample(anyJson, 60, 4).entries()) cases.push({ name: `create endpoint random json #${i}`, method: 'POST', path: '/v1/endpoints', body: JSON.stringify(body) });
    const endpointBody = fc.record(
      {
        url: fc.oneof(fc.constantFrom(...SSRF_URLS), fc.constant('https://hooks.example.com/in'), fc.webUrl(), fc.string(), anyJson),
        eventTypes: fc.oneof(fc.array(eventType, { maxLength: 3 }), fc.constant(['*']), anyJson),
        tenant: fc.oneof(fc.constant('fuzz-ep'), token, anyJson),
        retryPolicy: fc.oneof(fc.constant({ delays: ['1s'] }), fc.record({ maxAttempts: fc.integer({ min: -5, max: 60 }) }), anyJson),
        timeoutMs: fc.oneof(fc.integer({ min: -1, max: 40_000 }), anyJson),
        headers: fc.oneof(fc.constantFrom(...HEADER_INJECTIONS), fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }), anyJson),
        disabled: fc.oneof(fc.boolean(), anyJson),
        description: fc.oneof(fc.string({ maxLength: 50 }), fc.constant('d'.repeat(1025)), anyJson),
      },
      { requiredKeys: [] },
    );
    for (const [i, body] of sample(endpointBody, 100, 5).entries()) cases.push({ name: `create endpoint near-valid #${i}`, method: 'POST', path: '/v1/endpoints', body });
    for (const [i, body] of sample(endpointBody, 40, 6).entries()) cases.push({ name: `patch endpoint near-valid #${i}`, method: 'PATCH', path: endpointPath, body });
    for (const [i, headers] of HEADER_INJECTIONS.entries()) {
      cases.push({ name: `create endpoint header injection #${i}`, method: 'POST', path: '/v1/endpoints', body: { url: 'https://hooks.example.com/in', headers }, expect: headersRejected });
      cases.push({ name: `patch endpoint header injection #${i}`, method: 'PATCH', path: endpointPath, body: { headers }, expect: headersRejected });
    }
    for (const url of SSRF_URLS) {
      cases.push({ name: `create endpoint ${url}`, method: 'POST', path: '/v1/endpoints', body: { url }, expect: urlRejected });
      cases.push({ name: `patch endpoint ${url}`, method: 'PATCH', path: endpointPath, body: { url }, expect: urlRejected });
    }
    for (const [i, id] of sample(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('..', '%2e%2e', '%00', 'ep_' + 'x'.repeat(5000), '%ff', '%E2%80%AE')), 30, 7).entries()) {
      const path = `/v1/endpoints/${id.startsWith('%') || id === '..' ? id : encodeURIComponent(id)}`;
      cases.push({ name: `patch unknown endpoint #${i}`, method: 'PATCH', path, body: { description: 'x' }, expect: status(400, 404) });
    }
    // Resource ids of every length and shape on every route that takes one.
    const ids = ['x', 'ep_0', '%00', '%E2%80%AE', encodeURIComponent('ép'), 'a'.repeat(2100), 'b'.repeat(5000)];
    const routes = [
      ['GET', '/v1/endpoints/{id}'],
      ['DELETE', '/v1/endpoints/{id}'],
      ['GET', '/v1/endpoints/{id}/deliveries'],
      ['POST', '/v1/endpoints/{id}/rotate-secret'],
      ['POST', '/v1/endpoints/{id}/test'],
      ['POST', '/v1/endpoints/{id}/recover'],
      ['GET', '/v1/events/{id}'],
      ['GET', '/v1/deliveries/{id}'],
      ['POST', '/v1/deliveries/{id}/retry'],
    ] as const;
    for (const [method, route] of routes) {
      for (const id of ids) {
        const body = route.endsWith('/recover') ? { since: '2030-01-01T00:00:00Z' } : undefined;
        cases.push({ name: `${method} ${route} with an id of ${id.length} characters (${id.slice(0, 12)})`, method, path: route.replace('{id}', id), body, expect: status(400, 404) });
      }
    }
    cases.push({ name: 'create endpoint description nested 5000 deep', method: 'POST', path: '/v1/endpoints', body: `{"url":"https://hooks.example.com/in","description":${nestedObject(5000)}}`, expect: status(400) });
    cases.push({ name: 'create endpoint retryPolicy nested 5000 deep', method: 'POST', path: '/v1/endpoints', body: `{"url":"https://hooks.example.com/in","retryPolicy":${nestedObject(5000)}}`, expect: status(400) });
    cases.push({ name: 'create endpoint text/plain', method: 'POST', path: '/v1/endpoints', body: JSON.stringify({ url: 'https://hooks.example.com/in' }), headers: { 'content-type': 'text/plain' }, expect: status(415) });
    cases.push({ name: 'create endpoint invalid utf-8', method: 'POST', path: '/v1/endpoints', body: Buffer.concat([Buffer.from('{"url":"https://hooks.example.com/'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), expect: status(400) });

    // Run them one by one: a rejected request must leave the whole table as it was.
    const snapshot = async () =>
      (await scanTable(t.clients.doc, t.herald.resources.tableName))
        .map((item) => JSON.stringify(item))
        .sort()
        .join('\n');
    let before = await snapshot();
    const failures: string[] = [];
    const byStatus: Record<number, number> = {};
    for (const c of cases) {
      const res = await t.api.request(c.method, c.path, c.body === undefined ? (c.headers === undefined ? {} : { headers: c.headers }) : { body: c.body, ...(c.headers === undefined ? {} : { headers: c.headers }) });
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      const problems: string[] = [];
      if (res.status >= 500) problems.push(`a ${res.status}: ${res.text.slice(0, 160)}`);
      else {
        const extra = c.expect?.(res);
        if (extra !== undefined) problems.push(extra);
      }
      if (res.status >= 400) {
        const shape = c.gateway ? undefined : errorShapeProblem(res);
        if (shape !== undefined) problems.push(`not the error shape (${shape})`);
        const after = await snapshot();
        if (after !== before) problems.push(`rejected with ${res.status} but the table changed`);
        before = after;
      } else if (c.method !== 'GET') {
        before = await snapshot();
      }
      if (problems.length > 0) failures.push(`${c.name}: ${problems.join('; ')}`);
    }
    console.log(`fuzz (seed ${SEED}): ${cases.length} requests, answers by status ${JSON.stringify(byStatus)}, ${failures.length} failures`);
    expect(failures).toEqual([]);
  }, 120_000);

  // The two findings of the fuzz run, each on its own (see docs/reliability.md).
  it('an event whose data is nested 5000 levels deep (a 10 KB body) is answered with a 4xx, not a 500', async () => {
    const res = await t.api.post('/v1/events', `{"type":"fuzz.created","tenant":"fuzz","data":${nested(5000)}}`);
    expect(errorShapeProblem(res)).toBeUndefined();
    expect(res.status, res.text).toBeLessThan(500);
  });

  it('an id longer than the DynamoDB key limit is answered with 400 or 404, not a 503 that tells the client to retry', async () => {
    for (const path of [`/v1/endpoints/${'a'.repeat(2100)}`, `/v1/deliveries/${'a'.repeat(2100)}`, `/v1/events/${'a'.repeat(2100)}`]) {
      const res = await t.api.get(path);
      expect(errorShapeProblem(res)).toBeUndefined();
      expect([400, 404], `GET ${path.slice(0, 20)}...: ${res.status} ${res.text}`).toContain(res.status);
    }
  });
});

describe('redirects are never followed', () => {
  let t: TestHerald;
  let first: Receiver;
  let second: Receiver;

  beforeAll(async () => {
    first = await startReceiver();
    second = await startReceiver();
    // Local receivers need private targets allowed; what is checked here is only that 3xx is not followed.
    t = await startTestHerald({ allowPrivateTargets: true, sweepIntervalMs: 1000 });
  });
  afterAll(async () => {
    await t?.stop();
    await first?.close();
    await second?.close();
  });

  it('a receiver answering 301, 302, 303, 307 or 308 to another local server: the second server gets no request', async () => {
    const codes = [301, 302, 303, 307, 308];
    for (const code of codes) {
      first.on(`/r${code}`, () => ({ status: code, headers: { location: second.url(`/landing/${code}`) } }));
      const res = await t.api.post('/v1/endpoints', { url: first.url(`/r${code}`), tenant: 'redirect', retryPolicy: { delays: ['1s'] } });
      expect(res.status, res.text).toBe(201);
    }
    const published = await t.api.post('/v1/events', { type: 'redirect.probe', tenant: 'redirect', data: {} });
    expect(published.status).toBe(202);
    const ids = published.json.deliveries.map((d: { id: string }) => d.id) as string[];
    const views = await waitUntilFinal(t.api, ids, { timeoutMs: 20_000 });
    const seen = [...views.values()].map((v) => ({ status: v.status, codes: v.attempts.map((a) => a.statusCode) }));
    expect(seen.map((s) => s.status)).toEqual(Array(codes.length).fill('dead'));
    expect(seen.map((s) => s.codes[0]).sort()).toEqual(codes);
    for (const s of seen) expect(s.codes).toEqual([s.codes[0], s.codes[0]]);
    expect(second.requests, 'a redirect was followed').toHaveLength(0);
    expect(second.connections).toBe(0);
    for (const code of codes) expect(first.requestsTo(`/r${code}`)).toHaveLength(2);
  }, 40_000);
});
