/**
 * End to end in local mode: `startLocalHerald` (the real api, deliver and sweep handlers on dynalite,
 * fauxqs and the Scheduler emulator, the local API Gateway and SQS poller), M endpoints on one fast
 * receiver, N events published over HTTP by a few concurrent clients. Every (event, endpoint) pair
 * must arrive; the latency of a delivery is from the moment its publish request was sent to the
 * moment the receiver had the whole webhook, throughput is deliveries over the span from the first
 * publish to the last receipt. The burst builds a backlog (publishing is faster than delivering on
 * the emulators), so its latency includes queueing; a second phase publishes events one at a time
 * to show the latency of the path itself.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startLocalHerald } from '../local/herald-local';
import type { Benchmark, BenchContext } from './support/context';
import { samplePayload } from './support/payload';
import { startFastReceiver } from './support/fast-receiver';
import { runLoad } from './support/http-load';
import { countingLogger } from './support/logging';
import { percentile } from './support/stats';

export const endToEnd: Benchmark = {
  name: 'end-to-end',
  summary: 'local mode: publish → delivered for N events × M endpoints',
  params: [
    ['e2e.events', 200, 40, 'events published'],
    ['e2e.endpoints', 5, 3, 'endpoints subscribed to every event'],
    ['e2e.publishers', 8, 4, 'concurrent publishing connections'],
    ['e2e.timeLimitSeconds', 120, 40, 'give up waiting for receipts after this long'],
    ['e2e.unloadedEvents', 20, 5, 'events then published one at a time, each after the previous one arrived everywhere'],
  ],
  async run(ctx: BenchContext) {
    const events = ctx.param('e2e.events');
    const endpoints = ctx.param('e2e.endpoints');
    const publishers = ctx.param('e2e.publishers');
    const timeLimitMs = ctx.param('e2e.timeLimitSeconds') * 1000;
    const unloadedEvents = ctx.param('e2e.unloadedEvents');
    const expected = events * endpoints;

    const receipts = new Map<string, number>();
    let duplicates = 0;
    let allArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    const receiver = await startFastReceiver({
      keepBody: false,
      onPost: ({ path, headers, receivedAt }) => {
        const key = `${path}|${String(headers['webhook-id'])}`;
        if (receipts.has(key)) duplicates++;
        else receipts.set(key, receivedAt);
        if (receipts.size === expected) allArrived();
      },
    });
    const logs = countingLogger();
    const apiKey = `hk_bench_${randomBytes(12).toString('base64url')}`;
    const herald = await startLocalHerald({ port: 0, apiKey, logger: logs.logger, printMetrics: logs.line, printAlert: () => undefined, sweepIntervalMs: 3_600_000 });
    try {
      const auth = { authorization: `Bearer ${apiKey}` };
      for (let j = 0; j < endpoints; j++) {
        const res = await fetch(`${herald.url}/v1/endpoints`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ url: `${receiver.origin}/ep${j}`, eventTypes: ['*'], description: `bench endpoint ${j}` }),
        });
        if (res.status !== 201) throw new Error(`creating an endpoint answered ${res.status}: ${await res.text()}`);
      }

      const sentAt = new Map<string, number>();
      let firstSent = Number.POSITIVE_INFINITY;
      const load = await runLoad({
        url: `${herald.url}/v1/events`,
        concurrency: publishers,
        count: events,
        timeLimitMs,
        request: (i) => ({
          body: JSON.stringify({ type: 'dir_sync.user.update.success', data: samplePayload(i) }),
          headers: { ...auth, 'idempotency-key': `bench-e2e-${i}-${apiKey}` },
        }),
        onResponse: (_i, status, body, sent) => {
          firstSent = Math.min(firstSent, sent);
          if (status === 202) sentAt.set((JSON.parse(body) as { id: string }).id, sent);
        },
      });
      if (sentAt.size !== events) {
        throw new Error(`only ${sentAt.size} of ${events} publishes were accepted (statuses ${JSON.stringify([...load.statuses])}, ${load.errors} errors)`);
      }
      const waitLimit = Math.max(1000, timeLimitMs - load.elapsedMs);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([arrived, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitLimit)))]);
      clearTimeout(timer);

      const latencies: number[] = [];
      let lastReceipt = 0;
      for (const [eventId, sent] of sentAt) {
        for (let j = 0; j < endpoints; j++) {
          const at = receipts.get(`/ep${j}|${eventId}`);
          if (at === undefined) continue;
          latencies.push(at - sent);
          lastReceipt = Math.max(lastReceipt, at);
        }
      }
      const missing = expected - latencies.length;
      const spanS = (lastReceipt - firstSent) / 1000;
      ctx.report.figure('end-to-end.throughput', latencies.length / spanS, 'deliveries/s');
      ctx.report.figure('end-to-end.latency.p50', percentile(latencies, 50), 'ms');
      ctx.report.figure('end-to-end.latency.p99', percentile(latencies, 99), 'ms');
      ctx.report.figure('end-to-end.undelivered', missing, `of ${expected} deliveries`);
      ctx.report.note(
        `${events} events × ${endpoints} endpoints, ${publishers} publishing connections; publish→receipt over ${spanS.toFixed(1)} s; ` +
          `publish p50 ${percentile(load.latenciesMs, 50).toFixed(1)} ms; ${duplicates} duplicate receipt(s); handlers logged ${logs.written.lines} lines`,
      );
      if (missing > 0) throw new Error(`${missing} of ${expected} deliveries did not arrive within ${timeLimitMs / 1000} s`);

      // The same path without a backlog: one event at a time, the next once the previous reached every endpoint.
      const unloaded: number[] = [];
      for (let i = 0; i < unloadedEvents; i++) {
        const sent = performance.now();
        const res = await fetch(`${herald.url}/v1/events`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': `bench-e2e-single-${i}-${apiKey}` },
          body: JSON.stringify({ type: 'dir_sync.user.update.success', data: samplePayload(i) }),
        });
        if (res.status !== 202) throw new Error(`publishing answered ${res.status}`);
        const eventId = ((await res.json()) as { id: string }).id;
        const until = sent + 20_000;
        const keys = Array.from({ length: endpoints }, (_, j) => `/ep${j}|${eventId}`);
        while (keys.some((k) => !receipts.has(k))) {
          if (performance.now() > until) throw new Error(`event ${eventId} did not reach every endpoint within 20 s`);
          await new Promise((r) => setTimeout(r, 2));
        }
        for (const k of keys) unloaded.push(receipts.get(k)! - sent);
      }
      ctx.report.figure('end-to-end.unloaded.latency.p50', percentile(unloaded, 50), 'ms');
      ctx.report.figure('end-to-end.unloaded.latency.p99', percentile(unloaded, 99), 'ms');
      ctx.report.note(`${unloadedEvents} events × ${endpoints} endpoints published one at a time (no backlog)`);
    } finally {
      await herald.stop();
      await receiver.close();
    }
  },
};
