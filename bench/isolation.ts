/**
 * Isolation and outage cost in local mode: the scenario of issue 11. Five endpoints subscribe to every event:
 *
 * - `/hang` never answers (its endpoint's timeout is 2 s);
 * - `/down` answers 503;
 * - `/ok0`, `/ok1`, `/ok2` answer 200 at once.
 *
 * N events are published at a steady rate (below what local mode delivers when all is well, so the figure is about
 * isolation, not about a backlog). The healthy endpoints' latency is from the moment an event's publish request was
 * sent to the moment the receiver had it. The down endpoint's requests are counted over the first `window` seconds
 * after its first request, per 1000 events published in that window: without a circuit breaker that is every
 * delivery plus its retries; with it, a few attempts before the circuit opens and then one probe per interval.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startLocalHerald } from '../local/herald-local';
import type { Benchmark, BenchContext } from './support/context';
import { startFastReceiver } from './support/fast-receiver';
import { countingLogger } from './support/logging';
import { samplePayload } from './support/payload';
import { percentile } from './support/stats';

const HEALTHY = ['/ok0', '/ok1', '/ok2'];

export const isolation: Benchmark = {
  name: 'isolation',
  summary: 'local mode: 5 endpoints (one hangs, one answers 503): healthy latency, requests to the down one',
  params: [
    ['isolation.events', 200, 60, 'events published, each to all five endpoints'],
    ['isolation.ratePerSecond', 20, 20, 'events published per second'],
    ['isolation.windowSeconds', 60, 20, 'outage window over which the down endpoint’s requests are counted'],
    ['isolation.timeLimitSeconds', 90, 40, 'give up waiting for the healthy receipts after this long'],
  ],
  async run(ctx: BenchContext) {
    const events = ctx.param('isolation.events');
    const rate = ctx.param('isolation.ratePerSecond');
    const windowMs = ctx.param('isolation.windowSeconds') * 1000;
    const timeLimitMs = ctx.param('isolation.timeLimitSeconds') * 1000;
    const expected = events * HEALTHY.length;

    const receipts = new Map<string, number>();
    const downRequests: number[] = [];
    let allArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    const receiver = await startFastReceiver({
      keepBody: false,
      onPost: ({ path, headers, receivedAt }) => {
        if (path === '/hang') return 'hang';
        if (path === '/down') {
          downRequests.push(receivedAt);
          return 503;
        }
        const key = `${path}|${String(headers['webhook-id'])}`;
        if (!receipts.has(key)) receipts.set(key, receivedAt);
        if (receipts.size === expected) allArrived();
        return 200;
      },
    });
    const logs = countingLogger();
    const apiKey = `hk_bench_${randomBytes(12).toString('base64url')}`;
    const herald = await startLocalHerald({ port: 0, apiKey, logger: logs.logger, printAlert: () => undefined, printMetrics: () => undefined });
    try {
      const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
      for (const [path, timeoutMs] of [['/hang', 2000], ['/down', 15_000], ...HEALTHY.map((p) => [p, 15_000] as const)] as const) {
        const res = await fetch(`${herald.url}/v1/endpoints`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ url: `${receiver.origin}${path}`, eventTypes: ['*'], timeoutMs, description: `isolation ${path}` }),
        });
        if (res.status !== 201) throw new Error(`creating an endpoint answered ${res.status}: ${await res.text()}`);
      }

      const sentAt = new Map<string, number>();
      const publishedAt: number[] = [];
      const started = performance.now();
      const publishes: Promise<void>[] = [];
      for (let i = 0; i < events; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const sent = performance.now();
        publishes.push(
          fetch(`${herald.url}/v1/events`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({ type: 'dir_sync.user.update.success', data: samplePayload(i) }),
          }).then(async (res) => {
            if (res.status !== 202) throw new Error(`publishing answered ${res.status}: ${await res.text()}`);
            sentAt.set(((await res.json()) as { id: string }).id, sent);
            publishedAt.push(sent);
          }),
        );
      }
      await Promise.all(publishes);

      const until = started + Math.max(timeLimitMs, windowMs);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([arrived, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, until - performance.now()))))]);
      clearTimeout(timer);
      // The outage window must have passed before its requests are counted.
      const firstDown = downRequests[0] ?? started;
      const windowEnd = firstDown + windowMs;
      if (performance.now() < windowEnd) await new Promise((r) => setTimeout(r, windowEnd - performance.now()));

      const latencies: number[] = [];
      for (const [eventId, sent] of sentAt) {
        for (const path of HEALTHY) {
          const at = receipts.get(`${path}|${eventId}`);
          if (at !== undefined) latencies.push(at - sent);
        }
      }
      const inWindow = downRequests.filter((t) => t < windowEnd).length;
      const eventsInWindow = publishedAt.filter((t) => t < windowEnd).length;
      ctx.report.figure('isolation.healthy.p99', Math.round(percentile(latencies, 99)), 'ms (target ≤ 2000)');
      ctx.report.figure('isolation.healthy.delivered', latencies.length, `of ${expected}`);
      ctx.report.note(
        `${events} events at ${rate}/s to 5 endpoints (one hangs with a 2 s timeout, one answers 503, three answer 200); ` +
          `healthy p50 ${Math.round(percentile(latencies, 50))} ms; handlers logged ${logs.written.lines} lines`,
      );
      ctx.report.figure('outage.requests-to-down-endpoint', Math.round((inWindow / Math.max(1, eventsInWindow)) * 1000), 'per 1000 events (target ≤ 100)');
      ctx.report.note(`${inWindow} requests to the 503 endpoint in the ${windowMs / 1000} s after its first, while ${eventsInWindow} events were published to it`);
    } finally {
      await herald.stop();
      await receiver.close();
    }
  },
};
