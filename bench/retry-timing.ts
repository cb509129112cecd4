/**
 * Retry timing in local mode: how late a retry sent through an SQS message timer arrives. Each of N events fails
 * its first attempt (the receiver answers 500) and is retried after a fixed delay; the second attempt succeeds.
 * The error of a retry is the time its request reached the receiver less the time the worker planned it for (the
 * first attempt's `next.at`, read back through the API). The circuit breaker is off for the endpoint
 * (`circuitBreaker: false`): every first attempt fails, and the point here is the timer, not the breaker.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startLocalHerald } from '../local/herald-local';
import type { Benchmark, BenchContext } from './support/context';
import { startFastReceiver } from './support/fast-receiver';
import { countingLogger } from './support/logging';
import { samplePayload } from './support/payload';
import { percentile } from './support/stats';

export const retryTiming: Benchmark = {
  name: 'retry-timing',
  summary: 'local mode: how late SQS-timer retries reach the receiver',
  params: [
    ['retryTiming.events', 60, 20, 'events published, each failing once then retried'],
    ['retryTiming.delaySeconds', 3, 2, 'the fixed retry delay'],
  ],
  async run(ctx: BenchContext) {
    const events = ctx.param('retryTiming.events');
    const delaySeconds = ctx.param('retryTiming.delaySeconds');
    const seen = new Map<string, number[]>();
    const receiver = await startFastReceiver({
      keepBody: false,
      onPost: ({ headers, receivedAt }) => {
        const id = String(headers['webhook-id']);
        const times = seen.get(id) ?? [];
        times.push(performance.timeOrigin + receivedAt);
        seen.set(id, times);
        return times.length === 1 ? 500 : 200;
      },
    });
    const logs = countingLogger();
    const apiKey = `hk_bench_${randomBytes(12).toString('base64url')}`;
    const herald = await startLocalHerald({ port: 0, apiKey, logger: logs.logger, printAlert: () => undefined, printMetrics: () => undefined });
    try {
      const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
      const created = await fetch(`${herald.url}/v1/endpoints`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          url: `${receiver.origin}/retry`,
          retryPolicy: { delays: [`${delaySeconds}s`], maxAttempts: 2 },
          circuitBreaker: false,
          description: 'retry timing',
        }),
      });
      if (created.status !== 201) throw new Error(`creating the endpoint answered ${created.status}: ${await created.text()}`);
      const deliveryIds: string[] = [];
      for (let i = 0; i < events; i++) {
        const res = await fetch(`${herald.url}/v1/events`, { method: 'POST', headers: auth, body: JSON.stringify({ type: 'retry.timing', data: samplePayload(i) }) });
        if (res.status !== 202) throw new Error(`publishing answered ${res.status}: ${await res.text()}`);
        deliveryIds.push(...((await res.json()) as { deliveries: { id: string }[] }).deliveries.map((d) => d.id));
        // Spread over a few seconds, so the timers do not all fire in one poll.
        await new Promise((r) => setTimeout(r, 50));
      }
      const deadline = Date.now() + (delaySeconds + 60) * 1000;
      const errors: number[] = [];
      for (const id of deliveryIds) {
        for (;;) {
          const res = await fetch(`${herald.url}/v1/deliveries/${id}`, { headers: auth });
          const d = (await res.json()) as { status: string; eventId: string; attempts: { next?: { kind: string; at?: string } }[] };
          const planned = d.attempts[0]?.next?.at;
          const times = seen.get(d.eventId);
          if (d.status === 'delivered' && planned !== undefined && times !== undefined && times.length >= 2) {
            errors.push(times[1]! - Date.parse(planned));
            break;
          }
          if (Date.now() > deadline) throw new Error(`delivery ${id} was not retried in time (status ${d.status})`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      ctx.report.figure('retry-timing.error.p99', Math.round(percentile(errors, 99)), 'ms (target ≤ 1000)');
      ctx.report.note(
        `${errors.length} retries after ${delaySeconds} s through the SQS message timer (fauxqs): arrival less planned time ` +
          `p50 ${Math.round(percentile(errors, 50))} ms, min ${Math.round(Math.min(...errors))} ms, max ${Math.round(Math.max(...errors))} ms`,
      );
    } finally {
      await herald.stop();
      await receiver.close();
    }
  },
};
