import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeHttpSender, USER_AGENT, type Resolver } from '../../../lambdas/adapters/http-sender';
import { selfSignedCertificate, startReceiver, type Receiver } from '../../support/receiver';

const BODY = '{"id":"evt_1","type":"t","data":{"ü":1}}';

describe('NodeHttpSender against a real local receiver', () => {
  let receiver: Receiver;
  let sender: NodeHttpSender;

  beforeAll(async () => {
    receiver = await startReceiver();
    sender = new NodeHttpSender({ allowPrivate: true });
  });
  afterAll(async () => {
    sender?.close();
    await receiver?.close();
  });

  const post = (path: string, timeoutMs = 2000, headers: Record<string, string> = {}) =>
    sender.send({ url: receiver.url(path), headers, body: BODY, timeoutMs });

  it('POSTs the body with the endpoint headers, its own content-type and user-agent', async () => {
    receiver.on('/ok', () => ({ status: 204 }));
    const result = await post('/ok?x=1', 2000, { 'X-Api-Key': 'k1', 'Content-Type': 'text/plain', 'webhook-id': 'evt_1' });
    expect(result.outcome).toEqual({ kind: 'http', status: 204 });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.responseExcerpt).toBeUndefined();
    const [request] = receiver.requestsTo('/ok');
    expect(request).toMatchObject({ method: 'POST', body: BODY });
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-api-key': 'k1',
      'webhook-id': 'evt_1',
      'content-length': String(Buffer.byteLength(BODY)),
    });
  });

  it('keeps the connection alive across sends', async () => {
    receiver.on('/reuse', () => ({ status: 200, body: 'fine' }));
    const before = receiver.connections;
    const a = await post('/reuse');
    const b = await post('/reuse');
    expect([a.outcome, b.outcome]).toEqual([
      { kind: 'http', status: 200 },
      { kind: 'http', status: 200 },
    ]);
    expect(a.responseExcerpt).toBe('fine');
    const [r1, r2] = receiver.requestsTo('/reuse');
    expect(r2!.remotePort).toBe(r1!.remotePort);
    expect(receiver.connections - before).toBeLessThanOrEqual(1);
  });

  it('does not follow a redirect: the 3xx is the outcome', async () => {
    receiver.on('/moved', () => ({ status: 301, headers: { location: '/elsewhere' }, body: 'moved' }));
    const result = await post('/moved');
    expect(result.outcome).toEqual({ kind: 'http', status: 301 });
    expect(receiver.requestsTo('/elsewhere')).toEqual([]);
  });

  it('captures Retry-After in both forms', async () => {
    receiver.on('/busy', (r) =>
      r.n === 1 ? { status: 429, headers: { 'retry-after': '120' } } : { status: 503, headers: { 'retry-after': 'Wed, 21 Oct 2037 07:28:00 GMT' } },
    );
    expect((await post('/busy')).outcome).toEqual({ kind: 'http', status: 429, retryAfter: '120' });
    expect((await post('/busy')).outcome).toEqual({ kind: 'http', status: 503, retryAfter: 'Wed, 21 Oct 2037 07:28:00 GMT' });
  });

  it('keeps only the first 4 KiB of the body', async () => {
    receiver.on('/big', () => ({ status: 500, body: 'a'.repeat(4000) + 'é'.repeat(3000) }));
    const result = await post('/big');
    expect(result.outcome).toEqual({ kind: 'http', status: 500 });
    // 4000 ASCII bytes + 48 two-byte characters = 4096 bytes, cut on a character boundary.
    expect(result.responseExcerpt).toBe('a'.repeat(4000) + 'é'.repeat(48));
  });

  it('records a timeout when the receiver never answers', async () => {
    receiver.on('/hang', () => ({ hang: true }));
    const result = await post('/hang', 300);
    expect(result.outcome).toEqual({ kind: 'timeout' });
    expect(result.error).toMatch(/timeout after 300 ms/);
  });

  it('keeps the status of a response whose body stalls past the timeout', async () => {
    receiver.on('/stall', () => ({ stall: true, status: 200 }));
    const result = await post('/stall', 300);
    expect(result.outcome).toEqual({ kind: 'http', status: 200 });
    expect(result.responseExcerpt).toBe('partial');
  });

  it('records a reset when the receiver drops the connection mid-request', async () => {
    receiver.on('/drop', () => ({ destroy: true }));
    const result = await post('/drop');
    expect(result.outcome).toEqual({ kind: 'connect_reset' });
    expect(result.error).toMatch(/socket hang up|ECONNRESET/);
  });

  it('records a refused connection', async () => {
    const closed = await startReceiver();
    const url = closed.url('/');
    await closed.close();
    const result = await sender.send({ url, headers: {}, body: BODY, timeoutMs: 2000 });
    expect(result.outcome).toEqual({ kind: 'connect_refused' });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('records an invalid response', async () => {
    const garbage: TcpServer = createTcpServer((socket) => {
      socket.once('data', () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = garbage.address() as AddressInfo;
      const result = await sender.send({ url: `http://127.0.0.1:${port}/`, headers: {}, body: BODY, timeoutMs: 2000 });
      expect(result.outcome).toEqual({ kind: 'invalid_response' });
      expect(result.error).toMatch(/HPE_/);
    } finally {
      await new Promise((resolve) => garbage.close(resolve));
    }
  });

  describe('DNS and target rules', () => {
    const resolverOf =
      (table: Record<string, string[]>): Resolver =>
      async (hostname) => {
        const addresses = table[hostname];
        if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      };

    it('connects to the checked address, keeping the host name in the Host header', async () => {
      const named = new NodeHttpSender({ allowPrivate: true, resolver: resolverOf({ 'receiver.test': ['127.0.0.1'] }) });
      try {
        receiver.on('/named', () => ({ status: 200 }));
        const result = await named.send({ url: `http://receiver.test:${receiver.port}/named`, headers: {}, body: BODY, timeoutMs: 2000 });
        expect(result.outcome).toEqual({ kind: 'http', status: 200 });
        expect(receiver.requestsTo('/named')[0]!.headers.host).toBe(`receiver.test:${receiver.port}`);
      } finally {
        named.close();
      }
    });

    it('GIVEN a name whose first address refuses THEN the next one is tried, and is tried first from then on', async () => {
      // 127.0.0.2 is loopback too, but nothing listens there on the receiver's port: the connection is refused.
      const sender = new NodeHttpSender({ allowPrivate: true, resolver: resolverOf({ 'two.test': ['127.0.0.2', '127.0.0.1'] }) });
      try {
        receiver.on('/two', () => ({ status: 200 }));
        const first = await sender.send({ url: `http://two.test:${receiver.port}/two`, headers: {}, body: BODY, timeoutMs: 2000 });
        expect(first.outcome).toEqual({ kind: 'http', status: 200 });
        const before = receiver.connections;
        const second = await sender.send({ url: `http://two.test:${receiver.port}/two`, headers: {}, body: BODY, timeoutMs: 2000 });
        expect(second.outcome).toEqual({ kind: 'http', status: 200 });
        expect(receiver.requestsTo('/two')).toHaveLength(2);
        // The second send went straight to the address that answered, on a pooled connection.
        expect(receiver.connections - before).toBe(1);
      } finally {
        sender.close();
      }
    });

    it('GIVEN no address accepts a connection THEN the outcome is a refused connection', async () => {
      const sender = new NodeHttpSender({ allowPrivate: true, resolver: resolverOf({ 'none.test': ['127.0.0.2', '127.0.0.3'] }) });
      try {
        const result = await sender.send({ url: `http://none.test:${receiver.port}/x`, headers: {}, body: BODY, timeoutMs: 2000 });
        expect(result.outcome).toEqual({ kind: 'connect_refused' });
        expect(result.error).toMatch(/ECONNREFUSED 127\.0\.0\.3/);
      } finally {
        sender.close();
      }
    });

    it('tries IPv4 before IPv6, whatever order the resolver answers in', async () => {
      const seen: string[] = [];
      const dual = createHttpServer((req, res) => {
        seen.push(req.socket.remoteAddress ?? '');
        res.end('ok');
      });
      await new Promise<void>((resolve) => dual.listen(0, '::', resolve));
      const port = (dual.address() as AddressInfo).port;
      const sender = new NodeHttpSender({
        allowPrivate: true,
        resolver: async () => [
          { address: '::1', family: 6 },
          { address: '127.0.0.1', family: 4 },
        ],
      });
      try {
        const result = await sender.send({ url: `http://dual.test:${port}/`, headers: {}, body: BODY, timeoutMs: 2000 });
        expect(result.outcome).toEqual({ kind: 'http', status: 200 });
        expect(seen).toEqual(['::ffff:127.0.0.1']);
      } finally {
        sender.close();
        await new Promise((resolve) => dual.close(resolve));
      }
    });

    it('blocks a host name that resolves to a private address, without connecting', async () => {
      const strict = new NodeHttpSender({
        allowPrivate: false,
        resolver: resolverOf({ 'internal.example.com': ['127.0.0.1'], 'mixed.example.com': ['93.184.216.34', '10.1.2.3'] }),
      });
      try {
        const before = receiver.connections;
        const a = await strict.send({ url: `https://internal.example.com:${receiver.port}/x`, headers: {}, body: BODY, timeoutMs: 2000 });
        expect(a.outcome).toEqual({ kind: 'blocked' });
        expect(a.error).toBe('internal.example.com resolves to 127.0.0.1: loopback address');
        const b = await strict.send({ url: 'https://mixed.example.com/x', headers: {}, body: BODY, timeoutMs: 2000 });
        expect(b.outcome).toEqual({ kind: 'blocked' });
        expect(b.error).toBe('mixed.example.com resolves to 10.1.2.3: private address');
        expect(receiver.connections).toBe(before);
      } finally {
        strict.close();
      }
    });

    it('blocks localhost through the real resolver when private targets are not allowed', async () => {
      const strict = new NodeHttpSender({ allowPrivate: false });
      try {
        const before = receiver.connections;
        const result = await strict.send({ url: `https://localhost:${receiver.port}/x`, headers: {}, body: BODY, timeoutMs: 2000 });
        expect(result.outcome).toEqual({ kind: 'blocked' });
        expect(result.error).toMatch(/loopback/);
        expect(receiver.connections).toBe(before);
      } finally {
        strict.close();
      }
    });

    it('records a DNS failure, and a resolver that never answers as a timeout', async () => {
      const broken = new NodeHttpSender({
        allowPrivate: false,
        resolver: async (hostname) => {
          if (hostname === 'slow.example.com') return new Promise(() => undefined);
          throw Object.assign(new Error(`getaddrinfo EAI_AGAIN ${hostname}`), { code: 'EAI_AGAIN' });
        },
      });
      try {
        expect((await broken.send({ url: 'https://gone.example.com/', headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({
          kind: 'dns',
        });
        expect((await broken.send({ url: 'https://slow.example.com/', headers: {}, body: BODY, timeoutMs: 200 })).outcome).toEqual({
          kind: 'timeout',
        });
      } finally {
        broken.close();
      }
    });
  });

  describe('TLS', () => {
    const cert = selfSignedCertificate();

    it.skipIf(cert === undefined)('records a self-signed certificate as a TLS error, and delivers when the certificate is trusted', async () => {
      const tls = await startReceiver({ tls: cert! });
      const trusting = new NodeHttpSender({ allowPrivate: true, ca: cert!.cert });
      try {
        tls.on('/secure', () => ({ status: 200, body: 'secure' }));
        const refused = await sender.send({ url: tls.url('/secure'), headers: {}, body: BODY, timeoutMs: 2000 });
        expect(refused.outcome).toEqual({ kind: 'tls' });
        expect(refused.error).toMatch(/self.signed|DEPTH_ZERO_SELF_SIGNED_CERT/i);
        expect(tls.requestsTo('/secure')).toEqual([]);

        const ok = await trusting.send({ url: `https://localhost:${tls.port}/secure`, headers: {}, body: BODY, timeoutMs: 2000 });
        expect(ok.outcome).toEqual({ kind: 'http', status: 200 });
        expect(ok.responseExcerpt).toBe('secure');
        expect(tls.requestsTo('/secure')[0]!.body).toBe(BODY);
      } finally {
        trusting.close();
        await tls.close();
      }
    });
  });
});

describe('NodeHttpSender: checked targets are cached, connections closed when idle', () => {
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  /** A resolver over a table the test changes, counting its calls. */
  const countingResolver = (table: Map<string, string[]>) => {
    const calls: string[] = [];
    const resolver: Resolver = async (hostname) => {
      calls.push(hostname);
      const addresses = table.get(hostname);
      if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return addresses.map((address) => ({ address, family: 4 }));
    };
    return { calls, resolver };
  };

  it('reuses a host name’s checked address for the TTL, then resolves it again and connects to the new address', async () => {
    // The receiver closes every connection, so each send connects anew and shows where it connects to.
    receiver.on('/ttl', () => ({ status: 200, headers: { connection: 'close' } }));
    const table = new Map([['receiver.test', ['127.0.0.1']]]);
    const { calls, resolver } = countingResolver(table);
    const clock = { t: 1_000_000, now: () => clock.t };
    const sender = new NodeHttpSender({ allowPrivate: true, resolver, clock, targetTtlMs: 30_000 });
    const url = `http://receiver.test:${receiver.port}/ttl`;
    try {
      expect((await sender.send({ url, headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({ kind: 'http', status: 200 });
      // The name now points elsewhere (nothing listens on 127.0.0.2), but the checked address is still valid.
      table.set('receiver.test', ['127.0.0.2']);
      clock.t += 29_999;
      expect((await sender.send({ url, headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({ kind: 'http', status: 200 });
      expect(calls).toEqual(['receiver.test']);
      expect(receiver.requestsTo('/ttl')).toHaveLength(2);

      clock.t += 1;
      const after = await sender.send({ url, headers: {}, body: BODY, timeoutMs: 2000 });
      expect(calls).toEqual(['receiver.test', 'receiver.test']);
      expect(after.outcome).toEqual({ kind: 'connect_refused' });
      expect(after.error).toMatch(/127\.0\.0\.2/);
      expect(receiver.requestsTo('/ttl')).toHaveLength(2);
    } finally {
      sender.close();
    }
  });

  it('checks every address again after the TTL: an answer the rules refuse blocks the name', async () => {
    receiver.on('/recheck', () => ({ status: 204 }));
    const table = new Map([['receiver.test', ['127.0.0.1']]]);
    const { calls, resolver } = countingResolver(table);
    const clock = { t: 0, now: () => clock.t };
    const sender = new NodeHttpSender({ allowPrivate: true, resolver, clock });
    const url = `http://receiver.test:${receiver.port}/recheck`;
    try {
      expect((await sender.send({ url, headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({ kind: 'http', status: 204 });
      // Even with private targets allowed, an answer that is not an IP address is refused.
      table.set('receiver.test', ['127.0.0.1', 'not-an-address']);
      clock.t += 30_000;
      const blocked = await sender.send({ url, headers: {}, body: BODY, timeoutMs: 2000 });
      expect(blocked).toMatchObject({ outcome: { kind: 'blocked' }, error: 'receiver.test resolves to not-an-address: not an IP address' });
      // A refusal is not cached: the next send asks again.
      table.set('receiver.test', ['127.0.0.1']);
      expect((await sender.send({ url, headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({ kind: 'http', status: 204 });
      expect(calls).toHaveLength(3);
      expect(receiver.requestsTo('/recheck')).toHaveLength(2);
    } finally {
      sender.close();
    }
  });

  it('does not cache a failed lookup', async () => {
    receiver.on('/retry-dns', () => ({ status: 200 }));
    const table = new Map<string, string[]>();
    const { calls, resolver } = countingResolver(table);
    const sender = new NodeHttpSender({ allowPrivate: true, resolver });
    const url = `http://later.test:${receiver.port}/retry-dns`;
    try {
      expect((await sender.send({ url, headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({ kind: 'dns' });
      table.set('later.test', ['127.0.0.1']);
      expect((await sender.send({ url, headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({ kind: 'http', status: 200 });
      expect(calls).toEqual(['later.test', 'later.test']);
    } finally {
      sender.close();
    }
  });

  it('never looks up an IP literal, however long it is used', async () => {
    receiver.on('/literal', () => ({ status: 200 }));
    const { calls, resolver } = countingResolver(new Map());
    const clock = { t: 0, now: () => clock.t };
    const sender = new NodeHttpSender({ allowPrivate: true, resolver, clock });
    try {
      for (const step of [0, 60_000, 86_400_000]) {
        clock.t += step;
        expect((await sender.send({ url: receiver.url('/literal'), headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({
          kind: 'http',
          status: 200,
        });
      }
      expect(calls).toEqual([]);
      expect(receiver.requestsTo('/literal')).toHaveLength(3);
    } finally {
      sender.close();
    }
  });

  it('keeps refusing a forbidden IP literal without connecting', async () => {
    const strict = new NodeHttpSender({ allowPrivate: false });
    try {
      const before = receiver.connections;
      for (let i = 0; i < 2; i++) {
        const result = await strict.send({ url: `https://127.0.0.1:${receiver.port}/x`, headers: {}, body: BODY, timeoutMs: 2000 });
        expect(result).toMatchObject({ outcome: { kind: 'blocked' }, error: 'URL host 127.0.0.1 is not allowed: loopback address' });
      }
      expect(receiver.connections).toBe(before);
    } finally {
      strict.close();
    }
  });

  /** A receiver that reports when the server side of a connection closes. */
  async function closingWatcher(headers: Record<string, string> = {}) {
    const closed: number[] = [];
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, headers).end('ok'));
    });
    // The server itself keeps connections for a minute: a close within the test comes from the sender.
    server.keepAliveTimeout = 60_000;
    let nextId = 0;
    const waiters: (() => void)[] = [];
    server.on('connection', (socket) => {
      const id = ++nextId;
      socket.on('close', () => {
        closed.push(id);
        waiters.splice(0).forEach((wake) => wake());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/`,
      connections: () => nextId,
      closed,
      /** Resolves once `n` connections have closed (the test's own timeout bounds the wait). */
      closedCount: async (n: number) => {
        while (closed.length < n) await new Promise<void>((wake) => waiters.push(wake));
      },
      stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
    };
  }

  it('closes a pooled connection once it has been idle, and the next send opens a new one', async () => {
    const watcher = await closingWatcher();
    const sender = new NodeHttpSender({ allowPrivate: true, idleSocketMs: 40 });
    try {
      expect((await sender.send({ url: watcher.url, headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({ kind: 'http', status: 200 });
      expect((await sender.send({ url: watcher.url, headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({ kind: 'http', status: 200 });
      expect(watcher.connections()).toBe(1);
      await watcher.closedCount(1);
      expect((await sender.send({ url: watcher.url, headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({ kind: 'http', status: 200 });
      expect(watcher.connections()).toBe(2);
    } finally {
      sender.close();
      await watcher.stop();
    }
  });

  it('closes an idle connection sooner when the receiver announces a shorter keep-alive timeout', async () => {
    // `Keep-Alive: timeout=2`: the receiver closes after 2 s, so the sender gives up the connection after 1 s, not 60 s.
    const watcher = await closingWatcher({ 'keep-alive': 'timeout=2' });
    const sender = new NodeHttpSender({ allowPrivate: true, idleSocketMs: 60_000 });
    try {
      expect((await sender.send({ url: watcher.url, headers: {}, body: BODY, timeoutMs: 2000 })).outcome).toEqual({ kind: 'http', status: 200 });
      await watcher.closedCount(1);
      expect(watcher.connections()).toBe(1);
    } finally {
      sender.close();
      await watcher.stop();
    }
  });
});
