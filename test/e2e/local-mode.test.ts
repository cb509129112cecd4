/**
 * End to end: local mode started as a child process exactly like `npm start`, driven only over HTTP, with real
 * receivers verifying signatures the way customers do.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../local/receiver';
import { startLocalProcess, type LocalProcess } from '../support/local-process';

const API_KEY = 'e2e-key-0123456789';
const FAST = { delays: ['1s', '1s'] };

async function api<T = Record<string, unknown>>(herald: LocalProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(herald.url + path, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Endpoint {
  id: string;
  secret: string;
}

describe('local mode end to end (npm start as a child process)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-e2e-'));
  let herald: LocalProcess;
  const receivers: Receiver[] = [];
  // Probes every second: an endpoint down long enough opens its circuit, and its parked deliveries go out at the
  // first probe after it is back (the 60 s default would outlast the test's waits).
  const env = { PORT: '0', HERALD_API_KEY: API_KEY, HERALD_DATA_DIR: dataDir, HERALD_ALERT_WINDOW_SECONDS: '60', HERALD_BREAKER_PROBE_SECONDS: '1' };

  async function endpointWithReceiver(
    behaviour: Parameters<Receiver['behave']>[0],
    eventTypes = ['order.*'],
    headers: Record<string, string> = {},
  ): Promise<{ ep: Endpoint; receiver: Receiver }> {
    const plain = await startReceiver();
    // Re-create the receiver with the endpoint's secret once it is known, on the same port.
    const url = plain.url;
    const port = plain.port;
    await plain.close();
    const created = await api<Endpoint>(herald, 'POST', '/v1/endpoints', { url, eventTypes, retryPolicy: FAST, timeoutMs: 2000, headers });
    expect(created.status).toBe(201);
    const receiver = await startReceiver({ port, secret: created.body.secret, behaviour });
    receivers.push(receiver);
    return { ep: created.body, receiver };
  }

  beforeAll(async () => {
    herald = await startLocalProcess(env);
  });
  afterAll(async () => {
    await herald?.stop('SIGKILL');
    // The whole process group is gone: tsx's wrapper and the node under it (which would otherwise keep
    // running and recreate the data folder deleted below).
    expect(herald?.alive()).toBe(false);
    await Promise.all(receivers.map((r) => r.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the URL and a copy-paste example, and never a key that came from the environment', async () => {
    // The example is printed after the URL line; wait for its last command rather than read what came so far.
    await herald.waitForOutput(/curl -s -X POST \$HERALD_URL\/v1\/events/);
    const out = herald.output();
    expect(out).toMatch(/^Herald listening on http:\/\/127\.0\.0\.1:\d+$/m);
    expect(out).toContain('API key: from HERALD_API_KEY (not printed)');
    expect(out).not.toContain(API_KEY);
    expect(out).toContain('HERALD_KEY="$HERALD_API_KEY"');
    expect(out).toContain('curl -s -X POST $HERALD_URL/v1/events');
  });

  it('signs with the sealed secret and sends the sealed header value, which the API shows only masked', async () => {
    const { ep, receiver } = await endpointWithReceiver({ status: 200 }, ['invoice.*'], { Authorization: 'Bearer e2e-receiver-credential' });
    expect((await api<{ headers: Record<string, string> }>(herald, 'GET', `/v1/endpoints/${ep.id}`)).body.headers).toEqual({ Authorization: '********' });
    const published = await api<{ id: string }>(herald, 'POST', '/v1/events', { type: 'invoice.paid', data: { n: 1 } });
    await eventually(
      async () => receiver.received.length,
      (n) => n > 0,
    );
    expect(receiver.received[0]).toMatchObject({ id: published.body.id, verified: true });
    expect(receiver.received[0]!.headers.authorization).toBe('Bearer e2e-receiver-credential');
  });

  it('fans out to several endpoints, retries a failing one until it recovers, and dead-letters one with a printed alert', async () => {
    const ok = await endpointWithReceiver({ status: 200 });
    const flaky = await endpointWithReceiver({ status: 500, times: 2 });
    const broken = await endpointWithReceiver({ status: 503 });
    const otherType = await endpointWithReceiver({ status: 200 }, ['invoice.*']);

    const published = await api<{ id: string; deliveries: { id: string; endpointId: string; status: string }[] }>(herald, 'POST', '/v1/events', {
      type: 'order.paid',
      data: { orderId: 'o_1', amount: 4200 },
    });
    expect(published.status).toBe(202);
    expect(published.body.deliveries.map((d) => d.endpointId).sort()).toEqual([ok.ep.id, flaky.ep.id, broken.ep.id].sort());

    const final = await eventually(
      () => api<{ deliveries: { endpointId: string; status: string }[] }>(herald, 'GET', `/v1/events/${published.body.id}`),
      (r) => r.body.deliveries.every((d) => ['delivered', 'dead'].includes(d.status)),
    );
    const byEndpoint = Object.fromEntries(final.body.deliveries.map((d) => [d.endpointId, d.status]));
    expect(byEndpoint).toEqual({ [ok.ep.id]: 'delivered', [flaky.ep.id]: 'delivered', [broken.ep.id]: 'dead' });

    // Receivers verified every request with the endpoint's own secret (Standard Webhooks).
    expect(ok.receiver.received.map((r) => [r.id, r.verified, r.answeredStatus])).toEqual([[published.body.id, true, 200]]);
    expect(flaky.receiver.received.map((r) => r.answeredStatus)).toEqual([500, 500, 200]);
    expect(new Set(flaky.receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([published.body.id]));
    expect(broken.receiver.received.map((r) => r.answeredStatus)).toEqual([503, 503, 503]);
    expect(otherType.receiver.received).toEqual([]);

    // The dead letter's alert is printed where the e-mail would go.
    const deadId = final.body.deliveries.find((d) => d.endpointId === broken.ep.id) as unknown as { id: string };
    await herald.waitForOutput(/ALERT \(would be e-mailed\): Herald: webhook delivery dead-lettered/);
    expect(herald.output()).toContain(broken.ep.id);

    // Redeliver the dead one by hand once the endpoint works again.
    broken.receiver.behave({ status: 200 });
    const deadDelivery = await api<{ data: { id: string; endpointId: string }[] }>(herald, 'GET', '/v1/deliveries?status=dead');
    const dead = deadDelivery.body.data.find((d) => d.endpointId === broken.ep.id)!;
    expect(dead).toBeDefined();
    expect((await api(herald, 'POST', `/v1/deliveries/${dead.id}/retry`)).status).toBe(202);
    await eventually(
      () => api<{ status: string }>(herald, 'GET', `/v1/deliveries/${dead.id}`),
      (r) => r.body.status === 'delivered',
    );
    expect(broken.receiver.received.at(-1)).toMatchObject({ verified: true, answeredStatus: 200 });
    void deadId;
  }, 60_000);

  it('keeps every accepted event across a restart in the middle of retries', async () => {
    const down = await endpointWithReceiver({ status: 503 }, ['audit.*']);
    // A slow schedule: the retries are still pending when the process stops.
    await api(herald, 'PATCH', `/v1/endpoints/${down.ep.id}`, { retryPolicy: { delays: ['2s', '2s', '2s', '2s', '2s', '2s'] } });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await api<{ id: string }>(herald, 'POST', '/v1/events', { type: 'audit.entry', data: { n: i } });
      expect(r.status).toBe(202);
      ids.push(r.body.id);
    }
    await eventually(
      async () => down.receiver.received.length,
      (n) => n >= 10,
    );

    // Stop (Ctrl-C) while deliveries are waiting for their retry, then start again on the same data.
    expect(await herald.stop('SIGINT')).toBe(0);
    expect(herald.output()).toContain('Herald stopped.');
    down.receiver.behave({ status: 200 });
    herald = await startLocalProcess(env);

    for (const id of ids) {
      await eventually(
        () => api<{ deliveries: { status: string }[] }>(herald, 'GET', `/v1/events/${id}`),
        (r) => r.status === 200 && r.body.deliveries.every((d) => d.status === 'delivered'),
        45_000,
      );
    }
    const delivered = new Set(down.receiver.received.filter((r) => r.answeredStatus === 200).map((r) => r.id));
    expect([...delivered].sort()).toEqual([...ids].sort());
  }, 120_000);
});

/** Every file and folder under `root` (itself included) with its permission bits. */
function privateModes(root: string): { files: [string, number][]; dirs: [string, number][] } {
  const out = { files: [] as [string, number][], dirs: [[root, statSync(root).mode & 0o777]] as [string, number][] };
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    const mode = statSync(path).mode & 0o777;
    if (entry.isDirectory()) out.dirs.push([path, mode]);
    else out.files.push([path, mode]);
  }
  return out;
}

describe('npm start as a process manager runs it', () => {
  it('GIVEN SIGTERM to npm alone THEN Herald stops cleanly and every process under npm exits, freeing the port', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-e2e-term-'));
    const herald = await startLocalProcess({ PORT: '0', HERALD_API_KEY: API_KEY, HERALD_DATA_DIR: dataDir }, 60_000, 'npm');
    try {
      expect(herald.errors()).not.toMatch(/NodeVersionSupportWarning|will require node/);
      const port = Number(new URL(herald.url).port);
      expect(await herald.signalLeader('SIGTERM')).toBe(0);
      await herald.waitForOutput(/Herald stopped\./, 15_000);
      for (let i = 0; i < 100 && herald.alive(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(herald.alive()).toBe(false);
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    } finally {
      await herald.stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('GIVEN a second npm start on the same data folder THEN it says which process holds it, without a stack trace, and the first keeps serving', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-e2e-twice-'));
    const env = { PORT: '0', HERALD_API_KEY: API_KEY, HERALD_DATA_DIR: dataDir };
    const first = await startLocalProcess(env, 60_000, 'npm');
    try {
      const holder = Number(readFileSync(join(dataDir, 'herald.pid'), 'utf8'));
      const second = await startLocalProcess(env, 60_000, 'npm').then(
        async (started) => {
          await started.stop('SIGKILL');
          throw new Error('the second Herald started');
        },
        (error: Error) => error.message,
      );
      expect(second).toContain(`Herald failed to start: another Herald is using this data folder (pid ${holder}): ${dataDir}`);
      expect(second).not.toMatch(/Database is closed|\n\s+at /);
      expect((await fetch(`${first.url}/health`)).status).toBe(200);
    } finally {
      expect(await first.stop('SIGINT')).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('local mode without HERALD_API_KEY', () => {
  it('generates a development key once and keeps it across restarts, and the key works', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-e2e-key-'));
    const env = { PORT: '0', HERALD_DATA_DIR: dataDir, HERALD_API_KEY: '' };
    try {
      const first = await startLocalProcess(env);
      const key = /API key: (hk_dev_\S+)/.exec(first.output())?.[1];
      expect(key).toMatch(/^hk_dev_[A-Za-z0-9_-]{24}$/);
      // Printed once; the example reads it from its file.
      expect(first.output().split(key!).length - 1).toBe(1);
      expect(first.output()).toContain(`HERALD_KEY="$(cat '${join(dataDir, 'dev-api-key')}')"`);
      const ok = await fetch(`${first.url}/v1/endpoints`, { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);
      const wrong = await fetch(`${first.url}/v1/endpoints`, { headers: { authorization: 'Bearer hk_dev_wrong' } });
      expect(wrong.status).toBe(401);
      expect(await first.stop('SIGINT')).toBe(0);

      const second = await startLocalProcess(env);
      expect(/API key: (hk_dev_\S+)/.exec(second.output())?.[1]).toBe(key);
      await second.stop('SIGINT');

      // The data folder is the user's alone: the table's files, the schedules and the key.
      const modes = privateModes(dataDir);
      expect(modes.files.length).toBeGreaterThan(3);
      expect(modes.files.filter(([, mode]) => mode !== 0o600)).toEqual([]);
      expect(modes.dirs.filter(([, mode]) => mode !== 0o700)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
