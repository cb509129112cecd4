/**
 * SIGKILL while an endpoint's parked deliveries are being released: Herald's local mode as a child process (what
 * `npm start` runs) parks an outage's deliveries behind the open circuit; the receiver comes back, a probe closes
 * the circuit, the release loop starts handing the parked deliveries back, and in the middle of it the process is
 * killed with SIGKILL (no shutdown code; fauxqs's in-memory queues, release messages included, are lost). Started
 * again on the same data directory, it must deliver every delivery: nothing lost (the restart scan and the sweep's
 * attention index bring back what the queue lost) and nothing doubled beyond the attempts in flight at the kill
 * (each delivery records exactly one successful attempt; the receiver may see an in-flight one twice).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/receiver';
import { startChildHerald, type ChildHerald } from './support/child-herald';
import { FINAL_STATUSES, heraldApi, mapLimit, waitUntilFinal } from './support/herald-api';

const EVENTS = 300;
const API_KEY = 'hk_circuit_crash_0123456789abcdef';
/** Every attempt in flight at the kill can be repeated: local mode's poller runs 2 batches of up to 10 at once. */
const DUPLICATE_BOUND = 20;

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('circuit breaker: SIGKILL while parked deliveries are released', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-circuit-crash-'));
  let child: ChildHerald | undefined;
  let receiver: Receiver | undefined;

  afterAll(async () => {
    await child?.kill();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`all ${EVENTS} parked deliveries are delivered, none twice beyond those in flight at the kill`, async () => {
    const settings = { HERALD_SWEEP_GRACE_SECONDS: '2', HERALD_BREAKER_FAILURE_THRESHOLD: '3', HERALD_BREAKER_PROBE_SECONDS: '1' };
    let down = true;
    const oks = new Map<string, number>();
    receiver = await startReceiver();
    receiver.on('/released', (r) => {
      if (down) return { status: 503 };
      const id = String(r.headers['webhook-id']);
      oks.set(id, (oks.get(id) ?? 0) + 1);
      return { status: 200 };
    });
    child = await startChildHerald({ apiKey: API_KEY, dataDir, settings });
    let api = heraldApi(child.url, API_KEY);
    const created = await api.post('/v1/endpoints', { url: receiver.url('/released'), timeoutMs: 2000 });
    expect(created.status, created.text).toBe(201);
    const endpointId = created.json.id as string;

    const ids = (
      await mapLimit(
        Array.from({ length: EVENTS }, (_, i) => i),
        6,
        async (i) => {
          const res = await api.post('/v1/events', { type: 'release.test', data: { i } });
          expect(res.status, res.text).toBe(202);
          return res.json.deliveries as { id: string }[];
        },
      )
    ).flatMap((d) => d.map((x) => x.id));
    expect(ids).toHaveLength(EVENTS);
    await until('the outage parked', async () => {
      const c = (await api.get(`/v1/endpoints/${endpointId}`)).json.circuit as { state: string; parked: number };
      return c.state !== 'closed' && c.parked >= EVENTS - 10 ? c : undefined;
    });

    // Back: the next probe closes the circuit and the release loop starts. Kill it once some were delivered.
    down = false;
    await until('the release under way', async () => (oks.size >= 40 ? true : undefined));
    await child.kill();
    const atKill = oks.size;
    const killedOutput = child.output();
    expect(atKill, 'deliveries done before the kill').toBeLessThan(EVENTS * 0.8);

    child = await startChildHerald({ apiKey: API_KEY, dataDir, settings });
    api = heraldApi(child.url, API_KEY);
    const views = await waitUntilFinal(api, ids, { timeoutMs: 150_000, intervalMs: 2000 });
    const notFinal = [...views.values()].filter((v) => !FINAL_STATUSES.has(v.status));
    expect(
      notFinal.map((v) => `${v.id} ${v.status} attempts=${v.attemptCount}`),
      `not final in time; output before the kill:\n${killedOutput.slice(-3000)}\nafter:\n${child.output().slice(-3000)}`,
    ).toEqual([]);
    let duplicates = 0;
    for (const v of views.values()) {
      expect(v.status).toBe('delivered');
      // The store records one successful attempt per delivery, whatever the receiver saw.
      expect(v.attempts.filter((a) => a.statusCode !== null && a.statusCode < 300)).toHaveLength(1);
      const seen = oks.get(v.eventId) ?? 0;
      expect(seen, `delivery ${v.id} was never answered 2xx`).toBeGreaterThanOrEqual(1);
      duplicates += seen - 1;
    }
    console.log(`circuit crash: ${EVENTS} parked; SIGKILL after ${atKill} released deliveries were answered 2xx; all ${EVENTS} delivered after the restart; duplicates ${duplicates} (bound ${DUPLICATE_BOUND})`);
    expect(duplicates).toBeLessThanOrEqual(DUPLICATE_BOUND);
  }, 300_000);
});
