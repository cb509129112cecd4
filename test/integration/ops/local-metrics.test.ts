import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../support/receiver';
import { startTestHerald, type TestHerald } from '../../reliability/support/local';

/** Local mode prints the same EMF documents the Lambdas write to CloudWatch Logs. */
describe('local mode metrics', () => {
  let herald: TestHerald;
  let receiver: Receiver;
  const lines: string[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.on('/fail', () => ({ status: 400, body: 'no' }));
    herald = await startTestHerald({ printMetrics: (line) => lines.push(line) });
  });
  afterAll(async () => {
    await herald?.stop();
    await receiver?.close();
  });

  const documents = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
  const total = (name: string, where: (d: Record<string, any>) => boolean = () => true) =>
    documents()
      .filter(where)
      .reduce((sum, d) => sum + (typeof d[name] === 'number' ? d[name] : 0), 0);

  async function until(check: () => boolean) {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(check()).toBe(true);
  }

  it('prints Published, Delivered, Failed by class, Dead and the latencies as EMF lines', async () => {
    const ok = await herald.api.post('/v1/endpoints', { url: receiver.url('/ok'), tenant: 'm1' });
    const bad = await herald.api.post('/v1/endpoints', { url: receiver.url('/fail'), tenant: 'm1' });
    expect([ok.status, bad.status]).toEqual([201, 201]);
    expect((await herald.api.post('/v1/events', { type: 'user.created', tenant: 'm1', data: { n: 1 } })).status).toBe(202);

    await until(() => total('Delivered') >= 1 && total('Dead') >= 1);
    expect(total('Published')).toBe(1);
    expect(total('Failed', (d) => d.FailureClass === 'http_4xx')).toBe(1);
    for (const d of documents()) {
      expect(d._aws.CloudWatchMetrics[0].Namespace).toBe('Herald');
      expect(d.Deployment).toBe('local');
    }
    const samples = (name: string) => documents().flatMap((d) => (Array.isArray(d[name]) ? d[name] : []));
    expect(samples('AttemptLatency').length).toBeGreaterThanOrEqual(2);
    expect(samples('DeliveryLatency').length).toBeGreaterThanOrEqual(1);
    expect(samples('QueueAge').length).toBeGreaterThanOrEqual(2);
  });
});
