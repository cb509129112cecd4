import { describe, expect, it } from 'vitest';
import { verifySignature } from '../../../lambdas/core/signing';
import { mapWithConcurrency, parseDeliveryMessage, processBatch } from '../../../lambdas/use-cases/deliver/process-batch';
import type { Endpoint } from '../../../lambdas/core/model';
import { record, ScriptedSender, seed, T0, unitWorld, type UnitWorld } from './fakes';

describe('parseDeliveryMessage', () => {
  it.each([
    ['{"deliveryId":"dlv_1","attempt":1}', { deliveryId: 'dlv_1', attempt: 1 }],
    ['{"deliveryId":"dlv_1","attempt":7,"extra":true}', { deliveryId: 'dlv_1', attempt: 7 }],
    ['not json', undefined],
    ['null', undefined],
    ['[]', undefined],
    ['{"deliveryId":"dlv_1"}', undefined],
    ['{"deliveryId":"","attempt":1}', undefined],
    ['{"deliveryId":"dlv_1","attempt":0}', undefined],
    ['{"deliveryId":"dlv_1","attempt":1.5}', undefined],
    ['{"deliveryId":"dlv_1","attempt":"1"}', undefined],
    ['{"deliveryId":5,"attempt":1}', undefined],
  ])('%s', (body, expected) => {
    expect(parseDeliveryMessage(body)).toEqual(expected);
  });
});

describe('mapWithConcurrency', () => {
  it('keeps at most `limit` calls in flight and returns results in input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, n));
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });

  it('handles an empty list', async () => {
    expect(await mapWithConcurrency([], 10, async () => 1)).toEqual([]);
  });
});

describe('processBatch', () => {
  it('acknowledges malformed bodies, loads the rest in one read, and delivers', async () => {
    const w = unitWorld();
    seed(w);
    const result = await processBatch(w.deps, [record('garbage', 'm0'), record({ deliveryId: 'dlv_1', attempt: 1 }, 'm1')]);
    expect(result).toEqual({ failedMessageIds: [] });
    expect(w.store.loads).toEqual([['dlv_1']]);
    expect(w.sender.requests).toHaveLength(1);
    expect(w.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(['malformed delivery message acknowledged without processing']);
  });

  it('does not read the table for a batch of malformed bodies only', async () => {
    const w = unitWorld();
    expect(await processBatch(w.deps, [record('x')])).toEqual({ failedMessageIds: [] });
    expect(w.store.loads).toEqual([]);
  });

  it('sends the signed envelope with the endpoint headers, never letting them forge webhook headers', async () => {
    const w = unitWorld();
    const { endpoint } = seed(w);
    w.clock.t = T0 + 1500;
    await processBatch(w.deps, [record({ deliveryId: 'dlv_1', attempt: 1 })]);
    const [request] = w.sender.requests;
    expect(request!.url).toBe(endpoint.url);
    expect(request!.timeoutMs).toBe(15_000);
    expect(request!.body).toBe('{"id":"evt_1","type":"user.created","timestamp":"2030-01-01T00:00:00.000Z","tenant":null,"data":{"a":1}}');
    expect(request!.headers).toMatchObject({ authorization: 'Bearer abc', 'webhook-id': 'evt_1', 'webhook-timestamp': String(T0 / 1000 + 1) });
    expect(request!.headers).not.toHaveProperty('Webhook-Id');
    expect(
      verifySignature({ headers: request!.headers, body: request!.body, secrets: [endpoint.secrets[0]!.secret], now: T0 + 1500 }),
    ).toBeUndefined();
  });

  it('caps the endpoint timeout at the worker bound', async () => {
    const w = unitWorld({ settings: { maxTimeoutMs: 20_000 } });
    seed(w, { endpoint: { timeoutMs: 45_000 } });
    await processBatch(w.deps, [record({ deliveryId: 'dlv_1', attempt: 1 })]);
    expect(w.sender.requests[0]!.timeoutMs).toBe(20_000);
  });

  it('drops a stale or final message without sending', async () => {
    const w = unitWorld();
    seed(w, { delivery: { status: 'retrying', attemptCount: 2 } });
    await processBatch(w.deps, [record({ deliveryId: 'dlv_1', attempt: 2 }), record({ deliveryId: 'dlv_1', attempt: 4 }, 'm2')]);
    expect(w.sender.requests).toEqual([]);
    const v = unitWorld();
    seed(v, { delivery: { status: 'delivered', attemptCount: 1 } });
    await processBatch(v.deps, [record({ deliveryId: 'dlv_1', attempt: 2 })]);
    expect(v.sender.requests).toEqual([]);
  });

  it('sends once for two copies of a redelivered message in one batch: each claims the attempt first', async () => {
    const w = unitWorld();
    seed(w);
    const result = await processBatch(w.deps, [
      record({ deliveryId: 'dlv_1', attempt: 1, redelivery: true }, 'a'),
      record({ deliveryId: 'dlv_1', attempt: 1 }, 'b', 2),
    ]);
    expect(result).toEqual({ failedMessageIds: [] });
    expect(w.sender.requests).toHaveLength(1);
    expect(w.store.attempts.map((a) => a.number)).toEqual([1]);
  });

  it('does not start a record that could not finish in the time left, and reports it', async () => {
    const w = unitWorld();
    seed(w);
    const result = await processBatch(w.deps, [record({ deliveryId: 'dlv_1', attempt: 1 }, 'late')], { remainingTimeMs: () => 19_999 });
    expect(result).toEqual({ failedMessageIds: ['late'] });
    expect(w.sender.requests).toEqual([]);
    expect(w.store.deliveries.get('dlv_1')).not.toHaveProperty('leaseUntil');
    const ok = await processBatch(w.deps, [record({ deliveryId: 'dlv_1', attempt: 1 }, 'ok')], { remainingTimeMs: () => 20_000 });
    expect(ok).toEqual({ failedMessageIds: [] });
  });

  it('reports a record that threw and keeps going with the others', async () => {
    const w = unitWorld({
      sender: new ScriptedSender((r) => {
        if (r.url.includes('boom')) throw new Error('unexpected');
        return { outcome: { kind: 'http', status: 200 }, latencyMs: 1 };
      }),
    });
    seed(w);
    seed(w, { endpoint: { id: 'ep_2', url: 'https://boom.example.com/' }, delivery: { id: 'dlv_2', endpointId: 'ep_2' } });
    const result = await processBatch(w.deps, [record({ deliveryId: 'dlv_1', attempt: 1 }, 'a'), record({ deliveryId: 'dlv_2', attempt: 1 }, 'b')]);
    expect(result).toEqual({ failedMessageIds: ['b'] });
    expect(w.store.deliveries.get('dlv_1')!.status).toBe('delivered');
  });

  it('fails the whole batch when the batch read fails', async () => {
    const w = unitWorld();
    w.store.load = () => Promise.reject(new Error('read failed'));
    await expect(processBatch(w.deps, [record({ deliveryId: 'dlv_1', attempt: 1 })])).rejects.toThrow('read failed');
  });
});

describe('processBatch: what records of one endpoint share', () => {
  const messages = (n: number) => Array.from({ length: n }, (_, i) => record({ deliveryId: `dlv_${i + 1}`, attempt: 1 }, `m${i + 1}`));

  /** `n` pending deliveries of one event each, all to endpoint ep_1. */
  function seedMany(w: UnitWorld, n: number, endpoint: Partial<Endpoint> = {}) {
    for (let i = 1; i <= n; i++) {
      const { event } = seed(w, { endpoint, delivery: { id: `dlv_${i}`, eventId: `evt_${i}` } });
      w.store.events.delete(event.id);
    }
    for (let i = 1; i <= n; i++) {
      w.store.events.set(`evt_${i}`, { id: `evt_${i}`, type: 'user.created', tenant: '', data: { n: i }, createdAt: T0, key: `K${i}`, fingerprint: 'f', fanOut: [{ endpointId: endpoint.id ?? 'ep_1' }] });
    }
  }

  it.each([
    ['a fixed schedule', { delays: ['10s', '20s'] }, { kind: 'http', status: 503 }],
    ['backoff with jitter', { backoff: { baseSeconds: 60, maxDelaySeconds: 600, jitter: 'full' } }, { kind: 'timeout' }],
    ['Retry-After', { preset: 'cryptr' }, { kind: 'http', status: 429, retryAfter: '120' }],
    ['a permanent failure', {}, { kind: 'http', status: 400 }],
    ['an invalid stored policy (the deployment default applies)', { maxAttempts: 0 }, { kind: 'http', status: 500 }],
  ] as const)('decides as record by record, with the policy resolved once per batch: %s', async (_, retryPolicy, outcome) => {
    const answer = () => new ScriptedSender(() => ({ outcome, latencyMs: 7 }));
    const batched = unitWorld({ sender: answer() });
    seedMany(batched, 4, { retryPolicy: retryPolicy as Endpoint['retryPolicy'] });
    expect(await processBatch(batched.deps, messages(4))).toEqual({ failedMessageIds: [] });

    const single = unitWorld({ sender: answer() });
    seedMany(single, 4, { retryPolicy: retryPolicy as Endpoint['retryPolicy'] });
    for (const message of messages(4)) await processBatch(single.deps, [message]);

    expect(batched.store.attempts).toHaveLength(4);
    expect(batched.store.attempts).toEqual(single.store.attempts);
    expect([...batched.store.deliveries.values()]).toEqual([...single.store.deliveries.values()]);
    expect(batched.effects).toEqual(single.effects);
    const warnings = (w: UnitWorld) => w.logs.filter((l) => l.message === 'endpoint retry policy is invalid; using the deployment default').length;
    expect(warnings(batched)).toBe('maxAttempts' in retryPolicy ? 1 : 0);
    expect(warnings(single)).toBe('maxAttempts' in retryPolicy ? 4 : 0);
  });

  it('refreshes a stale endpoint’s last success once per batch, not once per record', async () => {
    const w = unitWorld();
    seedMany(w, 5, { health: { consecutiveFailures: 0, lastSuccessAt: T0 - 60_000 } });
    w.clock.t = T0 + 5;
    expect(await processBatch(w.deps, messages(5))).toEqual({ failedMessageIds: [] });
    expect(w.sender.requests).toHaveLength(5);
    expect(w.store.successes).toEqual(['ep_1']);
    expect(w.store.endpoints.get('ep_1')!.health).toEqual({ consecutiveFailures: 0, lastSuccessAt: T0 + 5 });
  });

  it('writes health once per endpoint per batch: a batch that ends on a success ends the streak, one that ends failing adds its failures', async () => {
    // One record at a time, so the order of the outcomes is the order of the records.
    const outcomes = [503, 200, 200, 503, 503];
    let call = 0;
    const w = unitWorld({
      settings: { concurrency: 1, shortDelaySeconds: 900 },
      sender: new ScriptedSender(() => ({ outcome: { kind: 'http', status: outcomes[call++]! }, latencyMs: 1 })),
    });
    seedMany(w, 5, { health: { consecutiveFailures: 0, lastSuccessAt: T0 - 1000 } });
    await processBatch(w.deps, messages(5));
    expect(w.store.successes).toEqual([]);
    expect(w.store.failures).toEqual([{ endpointId: 'ep_1', count: 2 }]);
    expect(w.store.endpoints.get('ep_1')!.health).toEqual({ consecutiveFailures: 2, lastSuccessAt: T0 - 1000, lastFailureAt: T0, failingSince: T0 });

    call = 0;
    outcomes.splice(0, 5, 503, 200);
    const v = unitWorld({ settings: { concurrency: 1 }, sender: new ScriptedSender(() => ({ outcome: { kind: 'http', status: outcomes[call++]! }, latencyMs: 1 })) });
    seedMany(v, 2, { health: { consecutiveFailures: 3, failingSince: T0 - 5000, lastSuccessAt: T0 - 9000 } });
    await processBatch(v.deps, messages(2));
    expect(v.store.failures).toEqual([]);
    expect(v.store.successes).toEqual(['ep_1']);
  });

  it('logs a health write that failed: the attempts are saved, health is advice', async () => {
    const w = unitWorld({ settings: { concurrency: 1 } });
    seedMany(w, 3);
    let failures = 1;
    const write = w.store.recordEndpointSuccess.bind(w.store);
    w.store.recordEndpointSuccess = async (id, now) => {
      if (failures-- > 0) throw new Error('throttled');
      return write(id, now);
    };
    expect(await processBatch(w.deps, messages(3))).toEqual({ failedMessageIds: [] });
    expect(w.store.successes).toEqual([]);
    expect(w.store.attempts).toHaveLength(3);
    expect(w.logs.filter((l) => l.level === 'error').map((l) => l.message)).toEqual(['updating endpoint health failed']);
  });

  it('signs every record with the secret decoded once, each with its own body and timestamp', async () => {
    const w = unitWorld();
    const { endpoint } = seed(w);
    seedMany(w, 3);
    w.clock.t = T0 + 2500;
    await processBatch(w.deps, messages(3));
    expect(w.sender.requests.map((r) => JSON.parse(r.body).data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    for (const request of w.sender.requests) {
      expect(request.headers['webhook-timestamp']).toBe(String(T0 / 1000 + 2));
      expect(verifySignature({ headers: request.headers, body: request.body, secrets: [endpoint.secrets[0]!.secret], now: T0 + 2500 })).toBeUndefined();
    }
  });
});
