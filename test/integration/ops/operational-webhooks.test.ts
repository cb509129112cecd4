import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { NodeHttpSender } from '../../../lambdas/adapters/http-sender';
import { WebhookOperationalEvents } from '../../../lambdas/adapters/webhook-operational-events';
import { generateSecret } from '../../../lambdas/core/signing';
import { ENV } from '../../../lambdas/config';
import { startReceiver, type ReceivedRequest, type Receiver } from '../../support/receiver';
import { startTestHerald, type TestHerald } from '../../reliability/support/local';

const secret = generateSecret(randomBytes(32));

function verified(request: ReceivedRequest): { id: string; type: string; timestamp: string; data: Record<string, unknown> } {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
  return new Webhook(secret).verify(request.body, headers) as never;
}

describe('operational webhooks', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  describe('the adapter', () => {
    const events = (path: string, sleeps: number[] = []) =>
      new WebhookOperationalEvents({
        url: receiver.url(path),
        secret: async () => secret,
        sender: new NodeHttpSender({ allowPrivate: true }),
        clock: { now: () => Date.now() },
        randomBytes: (n) => randomBytes(n),
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      });
    const disabled = { type: 'endpoint.disabled', data: { endpointId: 'ep_1', url: 'https://x.example/in', tenant: 'acme', reason: 'gone' } } as const;

    it('signs with Standard Webhooks: the standardwebhooks library verifies the body and headers', async () => {
      await events('/ops').emit(disabled);
      const [request] = receiver.requestsTo('/ops');
      expect(request!.headers['content-type']).toBe('application/json');
      const payload = verified(request!);
      expect(payload).toMatchObject({ type: 'endpoint.disabled', data: disabled.data });
      expect(payload.id).toBe(request!.headers['webhook-id']);
      expect(() => new Webhook(generateSecret(randomBytes(32))).verify(request!.body, Object.fromEntries(Object.entries(request!.headers).map(([k, v]) => [k, String(v)])))).toThrow();
    });

    it('retries a failure with the same webhook-id, and gives up after three tries with the last outcome', async () => {
      receiver.on('/flaky', (r) => (r.n < 3 ? { status: 503 } : { status: 204 }));
      const sleeps: number[] = [];
      await events('/flaky', sleeps).emit(disabled);
      const tries = receiver.requestsTo('/flaky');
      expect(tries).toHaveLength(3);
      expect(new Set(tries.map((t) => t.headers['webhook-id'])).size).toBe(1);
      expect(sleeps).toEqual([250, 1000]);

      receiver.on('/down', () => ({ status: 500 }));
      await expect(events('/down').emit(disabled)).rejects.toThrow('not accepted after 3 tries (last: HTTP 500)');
    });
  });

  describe('in local mode, configured by HERALD_OPERATIONAL_WEBHOOK_URL', () => {
    let herald: TestHerald;
    beforeAll(async () => {
      receiver.on('/reject', () => ({ status: 422 }));
      receiver.on('/gone', () => ({ status: 410 }));
      herald = await startTestHerald({ env: { [ENV.operationalWebhookUrl]: receiver.url('/operator'), [ENV.operationalWebhookSecret]: secret } });
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('sends delivery.dead and endpoint.disabled, verified with the standardwebhooks library, alongside the e-mail alerts', async () => {
      const rejecting = await herald.api.post('/v1/endpoints', { url: receiver.url('/reject'), tenant: 'ops-test', eventTypes: ['a.dead'] });
      const gone = await herald.api.post('/v1/endpoints', {
        url: receiver.url('/gone'),
        tenant: 'ops-test',
        eventTypes: ['a.gone'],
        retryPolicy: { on410: 'cancel_and_disable' },
      });
      expect((await herald.api.post('/v1/events', { type: 'a.dead', tenant: 'ops-test', data: {} })).status).toBe(202);
      expect((await herald.api.post('/v1/events', { type: 'a.gone', tenant: 'ops-test', data: {} })).status).toBe(202);
      await receiver.waitFor('/operator', 2, 20_000);

      const payloads = receiver.requestsTo('/operator').map(verified);
      const byType = new Map(payloads.map((p) => [p.type, p.data]));
      expect(byType.get('delivery.dead')).toMatchObject({ summary: false, endpointId: rejecting.json.id, tenant: 'ops-test', lastOutcome: 'HTTP 422' });
      expect(byType.get('endpoint.disabled')).toMatchObject({ endpointId: gone.json.id, tenant: 'ops-test' });
      // The e-mail alerts went out too.
      for (let i = 0; i < 100 && herald.alerts.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(herald.alerts.length).toBeGreaterThanOrEqual(2);
    });
  });
});
