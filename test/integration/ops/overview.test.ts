/**
 * GET /v1/overview against local mode (the real handlers on the emulators, deliveries made by the worker): failing
 * endpoints first, the dead-letter count from the table, the delivery lanes' depths from SQS, and the outcomes per
 * minute kept by the process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../support/receiver';
import { startTestHerald, type TestHerald } from '../../reliability/support/local';

describe('GET /v1/overview in local mode', () => {
  let herald: TestHerald;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.on('/down', () => ({ status: 503 }));
    receiver.on('/reject', () => ({ status: 400 }));
    herald = await startTestHerald();
  });
  afterAll(async () => {
    await herald?.stop();
    await receiver?.close();
  });

  it('lists failing endpoints first, counts dead letters and the backlog, and charts outcomes per minute', async () => {
    const ok = await herald.api.post('/v1/endpoints', { url: receiver.url('/ok'), tenant: 'ov' });
    const down = await herald.api.post('/v1/endpoints', { url: receiver.url('/down'), tenant: 'ov', retryPolicy: { delays: ['1h'] } });
    const rejecting = await herald.api.post('/v1/endpoints', { url: receiver.url('/reject'), tenant: 'ov', retryPolicy: { maxAttempts: 1 } });
    const disabled = await herald.api.post('/v1/endpoints', { url: receiver.url('/ok'), tenant: 'ov', disabled: true });
    for (let i = 0; i < 2; i++) expect((await herald.api.post('/v1/events', { type: 'a.b', tenant: 'ov', data: { i } })).status).toBe(202);

    let body: any;
    const total = (key: string) => body.history.lastHour.reduce((n: number, p: Record<string, number>) => n + p[key]!, 0);
    for (let i = 0; i < 300; i++) {
      body = (await herald.api.get('/v1/overview')).json;
      if (body.deadLetters.count >= 2 && body.endpoints.failingCount >= 2 && total('delivered') >= 2 && total('failed') >= 4) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(body.deadLetters).toEqual({ count: 2, atLeast: false });
    // Failing ones first (both failed twice; the one failing longer first), then the disabled one; never the healthy one.
    const listed = body.endpoints.failing.map((e: { id: string }) => e.id);
    expect(listed.slice(0, 2).sort()).toEqual([down.json.id, rejecting.json.id].sort());
    expect(listed[2]).toBe(disabled.json.id);
    expect(listed).not.toContain(ok.json.id);
    expect(body.endpoints).toMatchObject({ failingCount: 2, disabledCount: 1, truncated: false });
    expect(body.endpoints.failing[0].health.consecutiveFailures).toBe(2);
    expect(body.queue).toEqual({ visible: expect.any(Number), delayed: expect.any(Number), inFlight: expect.any(Number), lagMs: expect.any(Number) });
    expect(body.history.source).toBe('local');
    expect(body.history.lastHour).toHaveLength(60);
    expect(body.history.lastDay).toHaveLength(96);
    expect(total('delivered')).toBe(2);
    expect(total('dead')).toBe(2);
    expect(total('failed')).toBe(4);
    const day = (key: string) => body.history.lastDay.reduce((n: number, p: Record<string, number>) => n + p[key]!, 0);
    expect([day('delivered'), day('dead'), day('failed')]).toEqual([2, 2, 4]);
  });
});
