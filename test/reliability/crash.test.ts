/**
 * Crash: local mode runs as a child process (`node --import tsx local/main.ts`, what `npm start` runs) on a data
 * directory; a few hundred events are published to a slow receiver that fails each delivery's first attempt;
 * in the middle of the delivery run the process is killed with SIGKILL (no shutdown code runs: the in-memory
 * queue of fauxqs, with every pending message and SQS-timer retry, is gone). It is started again on the same
 * directory, and every accepted event must still reach its final state, delivered with a valid signature:
 * the startup sweep and the periodic sweep re-enqueue what the queue lost. Publishing the same Idempotency-Keys
 * again after the restart must return the same events (the idempotency records survived too).
 *
 * Duplicates (a 2xx the receiver sent that the killed process never recorded, so the attempt is made again) are
 * counted; at most one per attempt in flight at the kill, and local mode has at most 2 pollers x 10 in flight.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildHerald, type ChildHerald } from './support/child-herald';
import { FINAL_STATUSES, heraldApi, mapLimit, waitUntilFinal } from './support/herald-api';

const EVENTS = Number(process.env.HERALD_CRASH_EVENTS ?? 240);
const API_KEY = 'hk_crash_test_0123456789abcdef';
/** Every attempt in flight at the kill can be repeated: local mode's poller runs 2 batches of up to 10 at once. */
const DUPLICATE_BOUND = 20;
const RECEIVER_DELAY_MS = 250;

interface SlowReceiver {
  readonly url: string;
  /** Per `${path}|${webhook-id}`: requests, 2xx answers written, and whether every signature verified. */
  readonly byKey: Map<string, { requests: number; oks: number; badSignatures: number }>;
  readonly stats: { requests: number; oks: number };
  setSecret(path: string, secret: string): void;
  close(): Promise<void>;
}

/** Answers every request after RECEIVER_DELAY_MS: 503 for the first request of each webhook on a path, then 200. */
async function startSlowReceiver(): Promise<SlowReceiver> {
  const verifiers = new Map<string, Webhook>();
  const byKey = new Map<string, { requests: number; oks: number; badSignatures: number }>();
  const stats = { requests: 0, oks: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
      const key = `${path}|${headers['webhook-id'] ?? ''}`;
      const entry = byKey.get(key) ?? { requests: 0, oks: 0, badSignatures: 0 };
      byKey.set(key, entry);
      entry.requests++;
      stats.requests++;
      try {
        verifiers.get(path)!.verify(Buffer.concat(chunks).toString('utf8'), headers);
      } catch {
        entry.badSignatures++;
      }
      const status = entry.requests === 1 ? 503 : 200;
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status === 200 ? 'ok' : 'busy', () => {
          if (status === 200) {
            entry.oks++;
            stats.oks++;
          }
        });
      }, RECEIVER_DELAY_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    byKey,
    stats,
    setSecret: (path, secret) => verifiers.set(path, new Webhook(secret)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('crash: SIGKILL in the middle of a delivery run, restart on the same data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-crash-'));
  let child: ChildHerald | undefined;
  let receiver: SlowReceiver | undefined;

  afterAll(async () => {
    await child?.kill();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`every accepted event of ${EVENTS} still reaches its final state after a SIGKILL`, async () => {
    // Every first request fails, so the endpoints' circuits open; they probe every second (not the 60 s default),
    // so what was parked goes out soon after the receiver answers again, before and after the restart.
    const settings = { HERALD_SWEEP_GRACE_SECONDS: '2', HERALD_BREAKER_PROBE_SECONDS: '1' };
    receiver = await startSlowReceiver();
    child = await startChildHerald({ apiKey: API_KEY, dataDir, settings });
    let api = heraldApi(child.url, API_KEY);

    const endpoints: { id: string; path: string }[] = [];
    for (const path of ['/crash/a', '/crash/b']) {
      const res = await api.post('/v1/endpoints', { url: `${receiver.url}${path}`, timeoutMs: 2000, retryPolicy: { delays: ['1s', '1s', '2s', '2s', '2s'] } });
      expect(res.status, res.text).toBe(201);
      receiver.setSecret(path, res.json.secret as string);
      endpoints.push({ id: res.json.id as string, path });
    }
    const pathOf = new Map(endpoints.map((e) => [e.id, e.path]));

    // Publish everything first: a kill during an intake is a different story (see dependency-faults.test.ts).
    const accepted = new Map<number, { eventId: string; deliveries: { id: string; endpointId: string }[] }>();
    await mapLimit(
      Array.from({ length: EVENTS }, (_, i) => i),
      6,
      async (i) => {
        const res = await api.post('/v1/events', { type: 'crash.test', data: { i } }, { 'idempotency-key': `crash-${i}` });
        expect(res.status, res.text).toBe(202);
        accepted.set(i, { eventId: res.json.id, deliveries: res.json.deliveries });
      },
    );
    const total = EVENTS * endpoints.length;
    const atKill = { ...receiver.stats };
    await child.kill();
    const killedOutput = child.output();
    // The kill must come in the middle of the run, or the test shows nothing.
    expect(atKill.oks, 'deliveries done before the kill').toBeLessThan(total * 0.8);

    child = await startChildHerald({ apiKey: API_KEY, dataDir, settings });
    api = heraldApi(child.url, API_KEY);

    // The idempotency records survived: the same keys give the same events, nothing new.
    await mapLimit([...accepted.entries()], 6, async ([i, before]) => {
      const res = await api.post('/v1/events', { type: 'crash.test', data: { i } }, { 'idempotency-key': `crash-${i}` });
      expect(res.status, res.text).toBe(202);
      expect(res.json.id).toBe(before.eventId);
      expect(res.json.deliveries.map((d: { id: string }) => d.id)).toEqual(before.deliveries.map((d) => d.id));
    });

    const ids = [...accepted.values()].flatMap((a) => a.deliveries.map((d) => d.id));
    expect(ids).toHaveLength(total);
    const views = await waitUntilFinal(api, ids, { timeoutMs: 120_000, intervalMs: 2000 });
    const notFinal = [...views.values()].filter((v) => !FINAL_STATUSES.has(v.status));
    expect(notFinal.map((v) => `${v.id} ${v.status} attempts=${v.attemptCount}`), `not final in time; output before the kill:\n${killedOutput.slice(-3000)}\nafter:\n${child.output().slice(-3000)}`).toEqual([]);
    const statuses: Record<string, number> = {};
    for (const v of views.values()) statuses[v.status] = (statuses[v.status] ?? 0) + 1;
    expect(statuses).toEqual({ delivered: total });

    let duplicates = 0;
    let badSignatures = 0;
    for (const v of views.values()) {
      const entry = receiver.byKey.get(`${pathOf.get(v.endpointId)}|${v.eventId}`);
      expect(entry?.oks ?? 0, `delivery ${v.id} was never answered 2xx by the receiver`).toBeGreaterThanOrEqual(1);
      duplicates += (entry?.oks ?? 1) - 1;
      badSignatures += entry?.badSignatures ?? 0;
    }
    expect(badSignatures).toBe(0);
    // What the queue lost came back through the sweeps: the startup sweep (no grace) and the periodic ones.
    const requeued = child.requeuedBySweeps();
    expect(requeued.reduce((a, b) => a + b, 0), 'the sweeps re-enqueued nothing').toBeGreaterThan(0);
    console.log(
      `crash: ${EVENTS} events, ${total} deliveries; SIGKILL after ${atKill.oks} of them were answered 2xx (${atKill.requests} requests); ` +
        `after the restart the sweeps re-enqueued ${requeued.join(' + ')} deliveries (startup sweep first) and all ${total} were delivered; ` +
        `receiver requests ${receiver.stats.requests}, duplicates ${duplicates} (bound ${DUPLICATE_BOUND})`,
    );
    expect(duplicates).toBeLessThanOrEqual(DUPLICATE_BOUND);
  }, 200_000);
});
