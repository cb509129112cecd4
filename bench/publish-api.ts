/**
 * Publish API: `POST /v1/events` under a loopback load generator (C keep-alive connections, bounded
 * count and time), in local mode: the local API Gateway, the real api handler (auth, validation,
 * idempotency claim, fan-out to one endpoint, event and delivery writes to dynalite, SendMessageBatch
 * to fauxqs). Each request carries its own Idempotency-Key, as a careful client's does. The delivery
 * poller is stopped, so only the publish path uses the CPU; the emulators run in the same process.
 */
import { randomBytes } from 'node:crypto';
import { startLocalHerald } from '../local/herald-local';
import type { Benchmark, BenchContext } from './support/context';
import { samplePayload } from './support/payload';
import { runLoad } from './support/http-load';
import { countingLogger } from './support/logging';
import { percentile } from './support/stats';

export const publishApi: Benchmark = {
  name: 'publish-api',
  summary: 'requests/s and latency of POST /v1/events (local mode)',
  params: [
    ['publish.requests', 2000, 400, 'requests in the measured run'],
    ['publish.connections', 8, 8, 'concurrent keep-alive connections'],
    ['publish.timeLimitSeconds', 30, 8, 'the measured run stops after this long'],
  ],
  async run(ctx: BenchContext) {
    const requests = ctx.param('publish.requests');
    const connections = ctx.param('publish.connections');
    const timeLimitMs = ctx.param('publish.timeLimitSeconds') * 1000;
    const apiKey = `hk_bench_${randomBytes(12).toString('base64url')}`;
    const logs = countingLogger();
    const herald = await startLocalHerald({ port: 0, apiKey, logger: logs.logger, printMetrics: logs.line, printAlert: () => undefined, sweepIntervalMs: 3_600_000 });
    try {
      await herald.poller.stop();
      const auth = { authorization: `Bearer ${apiKey}` };
      const created = await fetch(`${herald.url}/v1/endpoints`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        // Never called: the poller is stopped.
        body: JSON.stringify({ url: 'http://127.0.0.1:9/webhook', eventTypes: ['*'] }),
      });
      if (created.status !== 201) throw new Error(`creating the endpoint answered ${created.status}`);
      const run = (count: number, prefix: string) =>
        runLoad({
          url: `${herald.url}/v1/events`,
          concurrency: connections,
          count,
          timeLimitMs,
          request: (i) => ({
            body: JSON.stringify({ type: 'dir_sync.user.update.success', data: samplePayload(i) }),
            headers: { ...auth, 'idempotency-key': `${prefix}-${i}` },
          }),
        });
      await run(Math.max(100, Math.floor(requests / 10)), `warm-${apiKey}`);
      const result = await run(requests, `bench-${apiKey}`);
      const accepted = result.statuses.get(202) ?? 0;
      ctx.report.figure('publish-api.throughput', result.completed / (result.elapsedMs / 1000), 'requests/s');
      ctx.report.figure('publish-api.latency.p50', percentile(result.latenciesMs, 50), 'ms');
      ctx.report.figure('publish-api.latency.p99', percentile(result.latenciesMs, 99), 'ms');
      ctx.report.note(
        `${result.completed} requests on ${connections} connections in ${(result.elapsedMs / 1000).toFixed(1)} s` +
          `${result.timedOut ? ' (stopped by the time limit)' : ''}; ${accepted} answered 202, statuses ${JSON.stringify([...result.statuses])}, ${result.errors} transport errors; ` +
          `1 endpoint subscribed (one delivery per event)`,
      );
      if (accepted !== result.completed || result.errors > 0) throw new Error('some publishes were not accepted');
    } finally {
      await herald.stop();
    }
  },
};
