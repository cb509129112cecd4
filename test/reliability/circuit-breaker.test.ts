/**
 * The circuit breaker end to end in local mode (the real handlers on the emulators, both lanes, real time): an
 * endpoint that goes down opens its circuit after `failureThreshold` failed attempts; its deliveries are parked
 * (no POST, no retry message, no schedule) and shown as parked; one probe per interval; when it is back a probe
 * closes the circuit and the parked deliveries are released and delivered, each exactly once, with no attempt used
 * by the parked time. Then it flaps: down again (the circuit opens again), up again (everything delivered).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/receiver';
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

describe('circuit breaker: outage, probe, release, flapping', () => {
  let t: TestHerald;
  let receiver: Receiver;
  let down = true;

  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.on('/hook', () => (down ? { status: 503 } : { status: 200 }));
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

  it('parks an outage at a cost independent of its traffic, then delivers everything exactly once', async () => {
    const created = await t.api.post('/v1/endpoints', { url: receiver.url('/hook'), eventTypes: ['*'] });
    expect(created.status).toBe(201);
    const endpointId = (created.json as { id: string }).id;

    const publish = async (n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await t.api.post('/v1/events', { type: 'test.event', data: { i } });
        expect(res.status).toBe(202);
        ids.push((res.json as { id: string }).id);
      }
      return ids;
    };

    // Down: the circuit opens after THRESHOLD failed attempts.
    const first = await publish(40);
    const open = await until('the circuit to open with deliveries parked', async () => {
      const ep = (await t.api.get(`/v1/endpoints/${endpointId}`)).json as { circuit: { state: string; parked: number; reason: string | null } };
      return ep.circuit.state !== 'closed' && ep.circuit.parked >= 30 ? ep.circuit : undefined;
    });
    expect(open.reason).toMatch(/consecutive failed attempts, last: HTTP 503|probe failed: HTTP 503/);
    // A parked delivery says so.
    const event = (await t.api.get(`/v1/events/${first[39]!}`)).json as { deliveries: { status: string }[] };
    expect(['parked', 'pending']).toContain(event.deliveries[0]!.status);

    // While it stays down, the receiver sees the threshold's attempts and about one probe per interval, not one
    // request (plus retries) per delivery.
    const before = receiver.requestsTo('/hook').length;
    await new Promise((r) => setTimeout(r, 4000));
    const during = receiver.requestsTo('/hook').length - before;
    expect(before).toBeLessThan(40);
    expect(during).toBeLessThanOrEqual(4000 / 1000 / PROBE_SECONDS + 3);

    // Back up: a probe closes the circuit, every parked delivery is released and delivered once.
    down = false;
    const allDelivered = async (ids: readonly string[]) => {
      for (const id of ids) {
        const ev = (await t.api.get(`/v1/events/${id}`)).json as { deliveries: { status: string }[] };
        if (ev.deliveries[0]?.status !== 'delivered') return undefined;
      }
      return true;
    };
    // The deliveries that failed before the circuit opened follow their own backoff (15-30 s, then 30-60 s).
    await until('every event delivered', () => allDelivered(first), 120_000);
    await until('the circuit to close with nothing parked', async () => {
      const ep = (await t.api.get(`/v1/endpoints/${endpointId}`)).json as { circuit: { state: string; parked: number } };
      return ep.circuit.state === 'closed' && ep.circuit.parked === 0 ? true : undefined;
    });
    for (const id of first) {
      const ev = (await t.api.get(`/v1/events/${id}`)).json as { deliveries: { status: string; attemptCount: number }[] };
      expect(ev.deliveries[0]!.status).toBe('delivered');
      // Parked time uses no attempts: at most the failed ones before the circuit opened, the probe, and the success.
      expect(ev.deliveries[0]!.attemptCount).toBeLessThanOrEqual(THRESHOLD + 2);
    }

    // Flapping: down again (opens again), up again (all delivered).
    down = true;
    const second = await publish(10);
    await until('the circuit to open again', async () => {
      const ep = (await t.api.get(`/v1/endpoints/${endpointId}`)).json as { circuit: { state: string } };
      return ep.circuit.state !== 'closed' ? true : undefined;
    });
    down = false;
    await until('the second outage delivered', () => allDelivered(second), 120_000);
    for (const id of [...first, ...second]) {
      const ev = (await t.api.get(`/v1/events/${id}`)).json as { deliveries: { status: string }[] };
      expect(ev.deliveries[0]!.status).toBe('delivered');
    }
    expect(t.logger.errors()).toEqual([]);
  }, 400_000);
});
