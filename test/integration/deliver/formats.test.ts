/**
 * Payload formats end to end: the deliver handler sends each format's exact bytes to a real receiver, signed over
 * those bytes, and a Standard Webhooks verifier library accepts every one.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import type { PayloadFormat } from '../../../lambdas/core/model';
import { START, useWorld, type Handler } from './world';

describe('payload formats end to end', () => {
  let handler: Handler;
  const world = useWorld((w) => {
    handler = w.handler(w.deps());
  });

  async function receive(format: PayloadFormat, path: string) {
    world().receiver.on(path, () => ({ status: 204 }));
    const seeded = await world().seed({
      endpoint: { url: world().receiver.url(path), payloadFormat: format, tenant: '3-belges' },
      event: {
        type: 'dir_sync.user.update.success',
        tenant: '3-belges',
        data: { __type__: 'DirectorySyncEvent', change: 'update', provider: 'okta' },
        params: { directory_sync_id: '2cbd4ad8' },
        errors: [],
      },
    });
    await world().pump(handler, 1);
    const [request] = world().receiver.requestsTo(path);
    // Verified as a receiver would, with its clock at the attempt.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START);
    try {
      expect(new Webhook(seeded.endpoint.secrets[0]!.secret).verify(request!.body, request!.headers as Record<string, string>)).toEqual(
        JSON.parse(request!.body),
      );
    } finally {
      vi.useRealTimers();
    }
    expect(await world().delivery(seeded.delivery.id)).toMatchObject({ status: 'delivered' });
    return { body: request!.body, ...seeded };
  }

  it('cryptr: Cryptr’s event object with the deployment’s environment and the endpoint as webhook_id', async () => {
    const { body, endpoint } = await receive('cryptr', '/cryptr');
    expect(JSON.parse(body)).toEqual({
      __domain__: '3-belges',
      __environment__: 'sandbox',
      __type__: 'Event',
      code: 'dir_sync.user.update.success',
      data: { __type__: 'DirectorySyncEvent', change: 'update', provider: 'okta' },
      errors: [],
      params: { directory_sync_id: '2cbd4ad8' },
      issued_at: new Date(START).toISOString().replace('.000Z', '.000000Z'),
      webhook_id: endpoint.id,
    });
  });

  it('data: the data alone', async () => {
    const { body } = await receive('data', '/data');
    expect(body).toBe('{"__type__":"DirectorySyncEvent","change":"update","provider":"okta"}');
  });

  it('standard: the envelope, without params or errors', async () => {
    const { body, event } = await receive('standard', '/standard');
    expect(JSON.parse(body)).toEqual({
      id: event.id,
      type: 'dir_sync.user.update.success',
      timestamp: new Date(START).toISOString(),
      tenant: '3-belges',
      data: { __type__: 'DirectorySyncEvent', change: 'update', provider: 'okta' },
    });
  });
});
