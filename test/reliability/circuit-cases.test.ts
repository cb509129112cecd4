/**
 * The circuit breaker's harder cases end to end in local mode (the real handlers on the emulators, both lanes, real
 * time), each on an endpoint of its own:
 * - the circuit opens while a batch of the endpoint's records is in flight: every record already sent is recorded
 *   once, the ones that fail after the circuit opened are parked (not retried), and all are delivered once when
 *   the receiver is back;
 * - the endpoint is deleted while deliveries are parked: they are canceled, and nothing more is sent;
 * - the endpoint is disabled while deliveries are parked: nothing more is sent and nothing is lost (they wait for
 *   the disabled endpoint's recheck, as any delivery of a disabled endpoint does);
 * - a rate-limited endpoint: over any 10 s window the receiver sees at most the limit × 10 plus 10 %, and every
 *   delivery arrives with one attempt (waiting for the rate uses none).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/receiver';
import { mapLimit, waitUntilFinal } from './support/herald-api';
import { startTestHerald, type TestHerald } from './support/local';

const THRESHOLD = 3;
const PROBE_SECONDS = 1;

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface DeliveryView {
  readonly status: string;
  readonly attemptCount: number;
  readonly nextAttemptAt: string | null;
}

interface CircuitView {
  readonly state: string;
  readonly parked?: number;
}

describe('circuit breaker: in-flight opening, deleted and disabled endpoints, rate limit', () => {
  let t: TestHerald;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestHerald({
      sweepIntervalMs: 1000,
      sweepGraceSeconds: 0,
      env: { HERALD_BREAKER_FAILURE_THRESHOLD: String(THRESHOLD), HERALD_BREAKER_PROBE_SECONDS: String(PROBE_SECONDS) },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver?.close();
  });

  const createEndpoint = async (path: string, extra: Record<string, unknown> = {}) => {
    const res = await t.api.post('/v1/endpoints', { url: receiver.url(path), eventTypes: [`${path.slice(1)}.*`], ...extra });
    expect(res.status, res.text).toBe(201);
    return res.json.id as string;
  };
  const publish = async (type: string, n: number) =>
    mapLimit(
      Array.from({ length: n }, (_, i) => i),
      8,
      async (i) => {
        const res = await t.api.post('/v1/events', { type, data: { i } });
        expect(res.status, res.text).toBe(202);
        return (res.json.deliveries as { id: string }[])[0]!.id;
      },
    );
  const circuitOf = async (endpointId: string) => ((await t.api.get(`/v1/endpoints/${endpointId}`)).json as { circuit: CircuitView }).circuit;

  it('opens while a batch is in flight: sent records are recorded once, later failures park, all delivered once after', async () => {
    let down = true;
    // A slow failure: every record of a batch is in flight before the first answer, so the circuit opens mid-batch.
    receiver.on('/inflight', () => (down ? { status: 503, body: 'down' } : { status: 200 }));
    const endpointId = await createEndpoint('/inflight');
    const ids = await publish('inflight.test', 30);
    await until('the circuit to open with the rest parked', async () => {
      const c = await circuitOf(endpointId);
      return c.state !== 'closed' && (c.parked ?? 0) >= 20 ? c : undefined;
    });
    const requestsWhileOpen = receiver.requestsTo('/inflight').length;
    // Each record was sent once before the circuit opened, and parked records are not retried: beyond that only
    // probes go out, each to another parked delivery (a failed probe goes to the back of the parked order).
    const perEvent = new Map<string, number>();
    for (const r of receiver.requestsTo('/inflight')) perEvent.set(String(r.headers['webhook-id']), (perEvent.get(String(r.headers['webhook-id'])) ?? 0) + 1);
    expect(Math.max(...perEvent.values())).toBeLessThanOrEqual(2);
    down = false;
    const final = await waitUntilFinal(t.api, ids, { timeoutMs: 120_000, intervalMs: 500 });
    expect([...final.values()].map((d) => d.status)).toEqual(ids.map(() => 'delivered'));
    // Exactly one 2xx per event at the receiver (nothing doubled), and no attempt beyond the policy's.
    const oks = new Map<string, number>();
    for (const r of receiver.requestsTo('/inflight').slice(requestsWhileOpen)) oks.set(String(r.headers['webhook-id']), (oks.get(String(r.headers['webhook-id'])) ?? 0) + 1);
    for (const d of final.values()) {
      expect(d.attempts.filter((a) => a.statusCode === 200)).toHaveLength(1);
      expect(d.attemptCount).toBeLessThanOrEqual(THRESHOLD + 2);
    }
    expect(Math.max(...oks.values())).toBe(1);
    await until('the circuit to close with nothing parked', async () => {
      const c = await circuitOf(endpointId);
      return c.state === 'closed' && c.parked === 0 ? true : undefined;
    });
  }, 200_000);

  it('an endpoint deleted while deliveries are parked: they are canceled and nothing more is sent', async () => {
    receiver.on('/deleted', () => ({ status: 503 }));
    const endpointId = await createEndpoint('/deleted');
    const ids = await publish('deleted.test', 20);
    await until('deliveries parked', async () => {
      const c = await circuitOf(endpointId);
      return c.state !== 'closed' && (c.parked ?? 0) >= 12 ? c : undefined;
    });
    const res = await t.api.request('DELETE', `/v1/endpoints/${endpointId}`);
    expect(res.status, res.text).toBe(200);
    const sentAtDelete = receiver.requestsTo('/deleted').length;
    const final = await waitUntilFinal(t.api, ids, { timeoutMs: 60_000, intervalMs: 500 });
    expect(new Set([...final.values()].map((d) => d.status))).toEqual(new Set(['canceled']));
    // A probe already on its way may be the last request; nothing after it.
    await new Promise((r) => setTimeout(r, 3 * PROBE_SECONDS * 1000));
    expect(receiver.requestsTo('/deleted').length).toBeLessThanOrEqual(sentAtDelete + 1);
  }, 120_000);

  it('an endpoint disabled while deliveries are parked: nothing more is sent and nothing is lost', async () => {
    receiver.on('/disabled', () => ({ status: 503 }));
    const endpointId = await createEndpoint('/disabled');
    const ids = await publish('disabled.test', 20);
    await until('deliveries parked', async () => {
      const c = await circuitOf(endpointId);
      return c.state !== 'closed' && (c.parked ?? 0) >= 12 ? c : undefined;
    });
    const res = await t.api.request('PATCH', `/v1/endpoints/${endpointId}`, { body: { disabled: true } });
    expect(res.status, res.text).toBe(200);
    const sentAtDisable = receiver.requestsTo('/disabled').length;
    // The parked deliveries are handed to the disabled endpoint's hourly recheck: still waiting, none final.
    await until('no delivery parked any more', async () => ((await circuitOf(endpointId)).parked === 0 ? true : undefined));
    // The deliveries not parked when the endpoint was disabled may still be on their way (a slower store takes longer):
    // each reaches the recheck too, none is sent. One parked before its first attempt waits as `pending`, the others
    // as `retrying`; each with the recheck as its next attempt.
    const views = await until('every delivery waiting for the recheck', async () => {
      const all = await mapLimit(ids, 8, async (id) => (await t.api.get(`/v1/deliveries/${id}`)).json as DeliveryView);
      return all.every((v) => v.nextAttemptAt !== null && v.status !== 'parked') ? all : undefined;
    });
    const checkedAt = Date.now();
    for (const v of views) {
      expect(v.status).toBe(v.attemptCount === 0 ? 'pending' : 'retrying');
      expect(Date.parse(v.nextAttemptAt!)).toBeGreaterThan(checkedAt);
    }
    await new Promise((r) => setTimeout(r, 3 * PROBE_SECONDS * 1000));
    expect(receiver.requestsTo('/disabled').length).toBeLessThanOrEqual(sentAtDisable + 1);
  }, 120_000);

  it('a rate limit holds at the receiver: at most the limit × 10 + 10 % in any 10 s, every delivery with one attempt', async () => {
    const LIMIT = 4;
    const arrivals: number[] = [];
    receiver.on('/rated', () => {
      arrivals.push(Date.now());
      return { status: 200 };
    });
    await createEndpoint('/rated', { rateLimitPerSecond: LIMIT });
    const ids = await publish('rated.test', 120);
    const final = await waitUntilFinal(t.api, ids, { timeoutMs: 180_000, intervalMs: 1000 });
    expect([...final.values()].map((d) => d.status)).toEqual(ids.map(() => 'delivered'));
    for (const d of final.values()) expect(d.attemptCount).toBe(1);
    arrivals.sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < arrivals.length; i++) {
      while (arrivals[i]! - arrivals[j]! >= 10_000) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(Math.floor(LIMIT * 10 * 1.1));
    console.log(`rate limit ${LIMIT}/s: ${arrivals.length} arrivals over ${arrivals[arrivals.length - 1]! - arrivals[0]!} ms; most in any 10 s: ${most} (bound ${Math.floor(LIMIT * 10 * 1.1)})`);
  }, 240_000);
});
