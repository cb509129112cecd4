/**
 * Each preset end to end: the real deliver handler, the Scheduler emulator (every retry through a schedule, the
 * clock moved to each one) and a real receiver answering the way a test scripts it. What the receiver saw (one
 * request per attempt, at the preset's times) and where the delivery ended are asserted.
 */
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../../lambdas/core/model';
import type { Reply } from '../../support/receiver';
import { START, useWorld, type Handler } from './world';

describe('presets end to end against a real receiver', () => {
  let handler: Handler;
  // Every retry through the Scheduler, so the test clock alone decides when the next attempt comes.
  const world = useWorld((w) => {
    handler = w.handler(w.deps({ config: { shortDelaySeconds: 0 } }));
  });

  /**
   * Seeds a delivery to `path` under `preset`, then runs attempts until the delivery is final: each retry's
   * schedule is fired once the clock reaches it. Returns the attempt times the policy chose (seconds after the
   * first: each attempt's wait added to the time the previous one was made) and the final delivery.
   *
   * The Scheduler fires within the minute of its expression, and Herald rounds a schedule up to the next whole
   * minute so that it never fires early: each attempt is checked to be made at its time or less than a minute
   * after it (by the `webhook-timestamp` the receiver got), never before.
   */
  async function play(preset: string, path: string, reply: (n: number) => Reply, timeoutMs = 2000): Promise<{ at: number[]; final: Delivery }> {
    world().receiver.on(path, (r) => reply(r.n));
    // `circuitBreaker: false`: each delivery follows its own schedule exactly as the preset defines it (with the
    // deployment's breaker, the endpoint's fifth failure in a row would park the delivery instead).
    const { delivery } = await world().seed({ endpoint: { url: world().receiver.url(path), retryPolicy: { preset }, timeoutMs, circuitBreaker: false } });
    await world().pump(handler, 1);
    const planned = [0];
    const dueAt: number[] = [START];
    for (let i = 0; i < 20; i++) {
      const current = await world().delivery(delivery.id);
      if (current?.status !== 'retrying' || current.nextAttemptAt === undefined) break;
      const made = world().receiver.requestsTo(path).map((r) => Number(r.headers['webhook-timestamp']) * 1000);
      planned.push(planned[planned.length - 1]! + (current.nextAttemptAt - made[made.length - 1]!) / 1000);
      dueAt.push(current.nextAttemptAt);
      world().clock.t = world().scheduler.list()[0]!.fireAt;
      expect((await world().scheduler.fireDue()).length).toBe(1);
      await world().pump(handler, 3);
    }
    const made = world().receiver.requestsTo(path).map((r) => Number(r.headers['webhook-timestamp']) * 1000);
    made.forEach((t, i) => {
      expect(t, `attempt ${i + 1}`).toBeGreaterThanOrEqual(Math.floor(dueAt[i]! / 1000) * 1000);
      expect(t - dueAt[i]!, `attempt ${i + 1}`).toBeLessThan(60_000);
    });
    return { at: planned.slice(0, made.length), final: (await world().delivery(delivery.id))! };
  }

  it('cryptr: a hanging receiver gets exactly one attempt, then the delivery is dead as "no response"', async () => {
    const { at, final } = await play('cryptr', '/cryptr-hang', () => ({ hang: true }), 300);
    expect(at).toEqual([0]);
    expect(final).toMatchObject({
      status: 'dead',
      attemptCount: 1,
      finalReason: 'no response: timeout: the policy assumes the endpoint does not exist and does not send again',
    });
    expect(world().scheduler.list()).toEqual([]);
    expect(await world().delayedCount()).toBe(0);
    expect((await world().dlq(1)).map((r) => r.deliveryId)).toEqual([final.id]);
  });

  it('cryptr: a refused connection also stops at once', async () => {
    const { delivery } = await world().seed({ endpoint: { url: 'http://127.0.0.1:9/refused', retryPolicy: { preset: 'cryptr' } } });
    await world().pump(handler, 1);
    expect(await world().delivery(delivery.id)).toMatchObject({ status: 'dead', attemptCount: 1, finalReason: expect.stringMatching(/^no response: connection refused/) });
  });

  it('cryptr: a 404 is retried at 5 m, 10 m, 20 m, 1 h, 2 h gaps, and a 503 with retry-after: 60 after 60 s', async () => {
    const { at, final } = await play('cryptr', '/cryptr-404', () => ({ status: 404 }));
    expect(at).toEqual([0, 300, 900, 2100, 5700, 12_900]);
    expect(final).toMatchObject({ status: 'dead', attemptCount: 6, finalReason: 'exhausted: 6 of 6 attempts made, last: HTTP 404' });

    await world().reset();
    const busy = await play('cryptr', '/cryptr-503', (n) => (n === 1 ? { status: 503, headers: { 'retry-after': '60' } } : { status: 200 }));
    expect(busy.at).toEqual([0, 60]);
    expect(busy.final).toMatchObject({ status: 'delivered', attemptCount: 2 });
  });

  it('cryptr: 410 cancels at once', async () => {
    const { at, final } = await play('cryptr', '/cryptr-410', () => ({ status: 410 }));
    expect(at).toEqual([0]);
    expect(final).toMatchObject({ status: 'canceled', finalReason: 'HTTP 410 Gone: the receiver removed this endpoint' });
  });

  it('dashboard: 410 is retried like any 4xx, immediately then at 30 s, 1 h, 6 h, 12 h, 24 h gaps, Retry-After ignored', async () => {
    const { at, final } = await play('dashboard', '/dash-410', () => ({ status: 410, headers: { 'retry-after': '5' } }));
    expect(at).toEqual([0, 30, 3630, 25_230, 68_430, 154_830]);
    expect(final).toMatchObject({ status: 'dead', attemptCount: 6, finalReason: 'exhausted: 6 of 6 attempts made, last: HTTP 410' });
  });

  it('dashboard: a redirect and a timeout are failures, then a 2xx delivers', async () => {
    const replies: Reply[] = [{ status: 301, headers: { location: 'http://example.com/' } }, { hang: true }, { status: 200 }];
    const { at, final } = await play('dashboard', '/dash-mixed', (n) => replies[n - 1] ?? { status: 200 }, 300);
    expect(at).toEqual([0, 30, 3630]);
    expect(final).toMatchObject({ status: 'delivered', attemptCount: 3 });
  });

  it('virtuous: 410 and 5xx retried with growing gaps until the receiver recovers', async () => {
    const replies: Reply[] = [{ status: 410 }, { status: 500 }, { status: 400 }, { status: 503 }, { status: 204 }];
    const { at, final } = await play('virtuous', '/virtuous', (n) => replies[n - 1] ?? { status: 200 });
    // Equal jitter at random 0.5: ¾ of the caps 1 m, 2 m, 4 m, 8 m.
    expect(at).toEqual([0, 45, 135, 315, 675]);
    expect(final).toMatchObject({ status: 'delivered', attemptCount: 5 });
  });

  it('default: a 404 is dead at once, a 429 is retried', async () => {
    const { at, final } = await play('default', '/default-404', () => ({ status: 404 }));
    expect(at).toEqual([0]);
    expect(final).toMatchObject({ status: 'dead', finalReason: 'permanent: HTTP 404 is not retried' });

    await world().reset();
    const limited = await play('default', '/default-429', (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '7' } } : { status: 200 }));
    expect(limited.at).toEqual([0, 7]);
    expect(limited.final).toMatchObject({ status: 'delivered' });
  });
});
