import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../lambdas/core/model';
import { deliverOne, effectiveTimeoutMs, scheduleName, stateAfter } from '../../../lambdas/use-cases/deliver/deliver-one';
import { flushAlerts } from '../../../lambdas/use-cases/deliver/flush-alerts';
import { ScriptedSender, seed, T0, unitWorld, type UnitWorld } from './fakes';

const answering = (outcome: Outcome, latencyMs = 12) => new ScriptedSender(() => ({ outcome, latencyMs }));

async function run(w: UnitWorld, attempt = 1, mayDuplicate = false, returned = false) {
  const d = w.store.deliveries.get('dlv_1');
  return deliverOne(w.deps, {
    message: { deliveryId: 'dlv_1', attempt },
    mayDuplicate,
    returned,
    ...(d ? { delivery: d } : {}),
    ...(d && w.store.endpoints.get(d.endpointId) ? { endpoint: w.store.endpoints.get(d.endpointId)! } : {}),
    ...(d && w.store.events.get(d.eventId) ? { event: w.store.events.get(d.eventId)! } : {}),
  });
}

describe('deliverOne: where a retry goes', () => {
  it.each([
    // [delay seconds, shortDelaySeconds, expected route]
    [1, 900, 'queue'],
    [900, 900, 'queue'],
    [901, 900, 'scheduler'],
    [60, 30, 'scheduler'],
    [1, 0, 'scheduler'],
  ] as const)('a retry in %i s with shortDelaySeconds %i goes to the %s', async (delay, shortDelaySeconds, route) => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 503 }), settings: { shortDelaySeconds } });
    seed(w, { endpoint: { retryPolicy: { delays: [delay] } } });
    expect(await run(w)).toBe('done');
    const at = T0 + delay * 1000;
    expect(w.store.deliveries.get('dlv_1')).toMatchObject({ status: 'retrying', attemptCount: 1, nextAttemptAt: at });
    if (route === 'queue') {
      expect(w.effects.queued).toEqual([{ message: { deliveryId: 'dlv_1', attempt: 2 }, groupId: 'ep_1', delaySeconds: delay }]);
      expect(w.effects.scheduled).toEqual([]);
    } else {
      expect(w.effects.scheduled).toEqual([{ name: 'dlv_1-2', at, message: { deliveryId: 'dlv_1', attempt: 2 } }]);
      expect(w.effects.queued).toEqual([]);
    }
  });

  it('measures the attempt within the current round (a manual redelivery starts a new one)', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 500 }) });
    // Five attempts in earlier rounds; this round started at attempt 6 with delays [10s, 20s].
    seed(w, { endpoint: { retryPolicy: { delays: ['10s', '20s'] } }, delivery: { status: 'pending', attemptCount: 6, roundFirstAttempt: 6, roundStartedAt: T0 } });
    await run(w, 7);
    expect(w.store.attempts[0]).toMatchObject({ number: 7, next: { kind: 'retry', at: T0 + 20_000, basis: 'delays' } });
    await run(w, 8);
    expect(w.store.deliveries.get('dlv_1')).toMatchObject({ status: 'dead', attemptCount: 8, finalReason: 'exhausted: 3 of 3 attempts made, last: HTTP 500' });
  });
});

describe('deliverOne: final outcomes', () => {
  it('delivered: records the attempt and ends the endpoint failing streak', async () => {
    const w = unitWorld({ sender: new ScriptedSender(() => ({ outcome: { kind: 'http', status: 201 }, latencyMs: 33, responseExcerpt: 'created' })) });
    seed(w, { endpoint: { health: { consecutiveFailures: 3, failingSince: T0 - 1000 } } });
    w.clock.t = T0 + 10;
    await run(w);
    expect(w.store.attempts).toEqual([
      {
        deliveryId: 'dlv_1',
        number: 1,
        startedAt: T0 + 10,
        latencyMs: 33,
        outcome: { kind: 'http', status: 201 },
        responseExcerpt: 'created',
        next: { kind: 'delivered' },
      },
    ]);
    expect(w.store.successes).toEqual(['ep_1']);
    expect(w.effects.published).toEqual([]);
  });

  it('delivered to a healthy endpoint: no endpoint write when its last success is recent', async () => {
    const w = unitWorld();
    seed(w, { endpoint: { health: { consecutiveFailures: 0, lastSuccessAt: T0 - 59_999 } } });
    await run(w);
    expect(w.store.successes).toEqual([]);
  });

  it('dead: dead-letter record, one immediate alert, the failing streak counted', async () => {
    const w = unitWorld({ sender: new ScriptedSender(() => ({ outcome: { kind: 'http', status: 401 }, latencyMs: 3 })) });
    seed(w);
    await run(w);
    expect(w.effects.dead).toEqual([
      {
        kind: 'delivery_dead',
        deliveryId: 'dlv_1',
        eventId: 'evt_1',
        eventType: 'user.created',
        tenant: '',
        endpointId: 'ep_1',
        // The record leaves the endpoint's protection: the query string (a token) is stripped.
        endpointUrl: 'https://hooks.example.com/in',
        attempts: 1,
        lastOutcome: { kind: 'http', status: 401 },
        reason: 'permanent: HTTP 401 is not retried',
        deadAt: new Date(T0).toISOString(),
      },
    ]);
    expect(w.effects.published.map((p) => p.subject)).toEqual(['Herald: webhook delivery dead-lettered for hooks.example.com']);
    // The URL's query string (receivers put tokens there) stays out of the e-mail.
    expect(w.effects.published[0]!.message).toContain('ep_1 https://hooks.example.com/in\n');
    expect(w.effects.published[0]!.message).not.toContain('token=secret');
    expect(w.store.endpoints.get('ep_1')!.health).toEqual({ consecutiveFailures: 1, failingSince: T0, lastFailureAt: T0 });
  });

  it('a dead-letter queue failure is logged with the record; the alert still goes out', async () => {
    const w = unitWorld({ sender: answering({ kind: 'blocked' }) });
    w.deps = { ...w.deps, deadLetters: { put: () => Promise.reject(new Error('SQS down')) } };
    seed(w);
    expect(await run(w)).toBe('done');
    expect(w.logs.find((l) => l.level === 'error')).toMatchObject({ message: 'dead-letter queue put failed', fields: { record: { deliveryId: 'dlv_1' } } });
    expect(w.effects.published).toHaveLength(1);
  });

  it('coalesces dead letters per endpoint window and flushes one summary', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 400 }) });
    for (let i = 1; i <= 3; i++) {
      seed(w, { delivery: { id: `dlv_${i}` } });
      await deliverOne(w.deps, {
        message: { deliveryId: `dlv_${i}`, attempt: 1 },
        delivery: w.store.deliveries.get(`dlv_${i}`)!,
        endpoint: w.store.endpoints.get('ep_1')!,
        event: w.store.events.get('evt_1')!,
      });
    }
    expect(w.effects.published).toHaveLength(1);
    expect(await flushAlerts(w.deps)).toBe(0);
    w.clock.t = T0 + 300_000;
    expect(await flushAlerts(w.deps)).toBe(1);
    expect(w.effects.published[1]!.subject).toBe('Herald: 2 more dead-lettered deliveries for hooks.example.com');
    expect(w.effects.published[1]!.message).toContain('Examples: dlv_2, dlv_3');
  });

  it('canceled (410) with cancel_and_disable: disables the endpoint once and alerts', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 410 }) });
    seed(w, { endpoint: { retryPolicy: { on410: 'cancel_and_disable' } } });
    await run(w);
    expect(w.store.deliveries.get('dlv_1')!.status).toBe('canceled');
    expect(w.store.endpoints.get('ep_1')).toMatchObject({ disabled: true });
    expect(w.effects.published.map((p) => p.subject)).toEqual(['Herald: endpoint disabled (hooks.example.com)']);
    expect(w.effects.dead).toEqual([]);
  });
});

describe('deliverOne: nothing is sent', () => {
  it('when a possible duplicate cannot claim the attempt (another worker holds the lease)', async () => {
    const w = unitWorld();
    seed(w);
    w.store.deliveries.set('dlv_1', { ...w.store.deliveries.get('dlv_1')!, leaseUntil: T0 + 1 });
    expect(await run(w, 1, true)).toBe('done');
    expect(w.sender.requests).toEqual([]);
    // The holder may die before it saves anything: the attempt is looked at again once any lease has run out.
    expect(w.effects.queued).toEqual([{ message: { deliveryId: 'dlv_1', attempt: 1, redelivery: true }, groupId: 'ep_1', delaySeconds: 66 }]);
  });

  it('a fresh message takes no lease; its commit loses to a running claim, so one attempt is recorded', async () => {
    const w = unitWorld();
    seed(w);
    w.store.deliveries.set('dlv_1', { ...w.store.deliveries.get('dlv_1')!, leaseUntil: T0 + 1 });
    expect(await run(w)).toBe('done');
    expect(w.sender.requests).toHaveLength(1);
    expect(w.store.attempts).toEqual([]);
    expect(w.store.deliveries.get('dlv_1')).toMatchObject({ status: 'pending', attemptCount: 0, leaseUntil: T0 + 1 });
  });

  it('when the event is missing: nothing can be sent or located; the message is dropped', async () => {
    const w = unitWorld();
    seed(w);
    w.store.events.clear();
    expect(await run(w)).toBe('done');
    expect(w.sender.requests).toEqual([]);
    expect(w.store.deliveries.get('dlv_1')).toMatchObject({ status: 'pending', attemptCount: 0 });
    expect(w.logs.map((l) => l.message)).toContain('delivery not found; message dropped');
  });

  it('a possible duplicate that finds its attempt saved sends the saved retry again, without a POST', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 503 }) });
    seed(w, { endpoint: { retryPolicy: { delays: [60, 60] } } });
    await run(w);
    const queued = w.effects.queued.splice(0);
    expect(queued).toEqual([{ message: { deliveryId: 'dlv_1', attempt: 2 }, groupId: 'ep_1', delaySeconds: 60 }]);
    // Another copy marked as a possible duplicate (not this message coming back) is only stale.
    expect(await run(w, 1, true)).toBe('done');
    expect(w.effects.queued).toEqual([]);
    // The same message comes back (its retry send was not known to have happened).
    expect(await run(w, 1, true, true)).toBe('done');
    expect(w.sender.requests).toHaveLength(1);
    expect(w.effects.queued).toEqual([{ message: { deliveryId: 'dlv_1', attempt: 2, redelivery: true }, groupId: 'ep_1', delaySeconds: 60 }]);
    // A fresh copy of it is only stale.
    w.effects.queued.splice(0);
    expect(await run(w, 1)).toBe('done');
    expect(w.effects.queued).toEqual([]);
  });

  it('a retry that cannot be sent fails the record, so its message comes back', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 503 }) });
    seed(w, { endpoint: { retryPolicy: { delays: [60] } } });
    w.effects.send = async () => {
      throw new Error('queue down');
    };
    expect(await run(w)).toBe('failed');
    expect(w.store.deliveries.get('dlv_1')).toMatchObject({ status: 'retrying', attemptCount: 1 });
  });

  it("when the endpoint's tenant is not the delivery's: canceled, never POSTed into the other tenant", async () => {
    const w = unitWorld();
    seed(w, { endpoint: { tenant: 'tenant-b' }, delivery: { tenant: 'tenant-a' } });
    expect(await run(w)).toBe('done');
    expect(w.sender.requests).toEqual([]);
    expect(w.store.deliveries.get('dlv_1')).toMatchObject({ status: 'canceled', finalReason: 'endpoint belongs to another tenant' });
    expect(w.effects.dead).toEqual([]);
  });

  it('when the endpoint is disabled: parked for the recheck interval, never past the maximum age', async () => {
    const w = unitWorld();
    seed(w, { endpoint: { disabled: true, retryPolicy: { maxAgeSeconds: 5400 } } });
    await run(w);
    expect(w.store.deliveries.get('dlv_1')).toMatchObject({ status: 'pending', attemptCount: 0, nextAttemptAt: T0 + 3_600_000 });
    w.clock.t = T0 + 3_600_000;
    await run(w);
    expect(w.store.deliveries.get('dlv_1')).toMatchObject({ status: 'pending', nextAttemptAt: T0 + 5_400_000 });
    w.clock.t = T0 + 5_400_000;
    await run(w);
    expect(w.store.deliveries.get('dlv_1')!.status).toBe('dead');
    expect(w.sender.requests).toEqual([]);
  });
});

describe('helpers', () => {
  it('scheduleName: delivery id and attempt, hashed when the Scheduler would refuse it', () => {
    expect(scheduleName('dlv_01HZX3K5B2W8Q4N7M9R6T0V1YA', 2)).toBe('dlv_01HZX3K5B2W8Q4N7M9R6T0V1YA-2');
    const long = scheduleName('x'.repeat(70), 3);
    expect(long).toMatch(/^h-[0-9a-f]{40}-3$/);
    expect(scheduleName('x'.repeat(70), 3)).toBe(long);
    expect(scheduleName('has space', 1)).toMatch(/^h-[0-9a-f]{40}-1$/);
  });

  it('effectiveTimeoutMs: the endpoint timeout within the bound, 15 s when none is stored', () => {
    expect(effectiveTimeoutMs({ timeoutMs: 3000 }, 50_000)).toBe(3000);
    expect(effectiveTimeoutMs({ timeoutMs: 90_000 }, 50_000)).toBe(50_000);
    expect(effectiveTimeoutMs({ timeoutMs: undefined as unknown as number }, 50_000)).toBe(15_000);
  });

  it('stateAfter maps each decision', () => {
    expect(stateAfter({ kind: 'delivered' })).toEqual({ status: 'delivered' });
    expect(stateAfter({ kind: 'retry', at: 5, basis: 'backoff' })).toEqual({ status: 'retrying', nextAttemptAt: 5 });
    expect(stateAfter({ kind: 'dead', reason: 'expired', detail: 'too old' })).toEqual({ status: 'dead', finalReason: 'expired: too old' });
    expect(stateAfter({ kind: 'dead', reason: 'no_response', detail: 'timeout: gone' })).toEqual({ status: 'dead', finalReason: 'no response: timeout: gone' });
    expect(stateAfter({ kind: 'canceled', disableEndpoint: false, detail: 'HTTP 410 Gone: the receiver removed this endpoint' })).toEqual({
      status: 'canceled',
      finalReason: 'HTTP 410 Gone: the receiver removed this endpoint',
    });
  });
});

describe('deliverOne: the attempt line', () => {
  it('carries every field the saved Logs Insights queries filter and group on', async () => {
    const { SAVED_QUERIES } = await import('../../../lib/constructs/operations-dashboard');
    const w = unitWorld({ sender: answering({ kind: 'http', status: 503 }) });
    seed(w, { endpoint: { retryPolicy: { delays: [5] } } });
    await run(w);
    const line = w.logs.find((l) => l.message === 'attempt');
    expect(line?.fields).toMatchObject({ deliveryId: 'dlv_1', endpointId: 'ep_1', attempt: 1, outcome: 'HTTP 503', latencyMs: 12, next: 'retry' });
    // Every field a worker query reads (beyond Logs Insights' own @fields and what it computes) is on the line.
    const read = new Set<string>();
    for (const q of SAVED_QUERIES.filter((s) => s.logs === 'worker')) {
      const text = [...(q.query.fields ?? []), ...(q.query.filterStatements ?? []), ...(q.query.statsStatements ?? [])].join(' ');
      for (const m of text.matchAll(/\b(endpointId|deliveryId|attempt|outcome|latencyMs|next|nextAttemptAt)\b/g)) read.add(m[1]!);
    }
    expect([...read].sort()).toEqual(['attempt', 'deliveryId', 'endpointId', 'latencyMs', 'next', 'nextAttemptAt', 'outcome']);
    for (const field of read) expect(line?.fields).toHaveProperty(field);
  });
});
