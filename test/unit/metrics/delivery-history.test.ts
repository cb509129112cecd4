import { GetMetricDataCommand, type GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { CloudWatchDeliveryHistory } from '../../../lambdas/adapters/cloudwatch-delivery-history';
import { OutcomeTimeline, TimelineMetrics } from '../../../lambdas/adapters/timeline-metrics';
import { MemoryMetrics } from '../../support/metrics';

const MINUTE = 60_000;
const T0 = Date.parse('2031-03-01T10:00:00.000Z');

describe('OutcomeTimeline with TimelineMetrics (local mode)', () => {
  it('counts outcomes per minute while passing every call through; series are zero-filled, oldest first, ending with the current period', async () => {
    const clock = { t: T0 + 5_000, now: () => clock.t };
    const timeline = new OutcomeTimeline(clock);
    const inner = new MemoryMetrics();
    const metrics = new TimelineMetrics(inner, timeline);
    metrics.count('Delivered', 2);
    metrics.failed('http_5xx');
    metrics.count('Published'); // not an outcome
    clock.t = T0 + 2 * MINUTE + 1;
    metrics.count('Dead');
    metrics.count('Canceled', 3);
    metrics.latency('AttemptLatency', 5);
    metrics.flush();
    expect([inner.counts.get('Delivered'), inner.counts.get('Failed'), inner.counts.get('Published'), inner.counts.get('Dead'), inner.flushes]).toEqual([2, 1, 1, 1, 1]);

    const now = T0 + 2 * MINUTE + 30_000;
    expect(await timeline.series(now, MINUTE, 4)).toEqual([
      { start: T0 - MINUTE, delivered: 0, failed: 0, dead: 0, canceled: 0 },
      { start: T0, delivered: 2, failed: 1, dead: 0, canceled: 0 },
      { start: T0 + MINUTE, delivered: 0, failed: 0, dead: 0, canceled: 0 },
      { start: T0 + 2 * MINUTE, delivered: 0, failed: 0, dead: 1, canceled: 3 },
    ]);
    // Quarter-hours sum their minutes.
    expect(await timeline.series(now, 15 * MINUTE, 1)).toEqual([{ start: T0, delivered: 2, failed: 1, dead: 1, canceled: 3 }]);
  });

  it('queue lag: the longest queue wait of the minutes in the window, null when none', async () => {
    const clock = { t: T0, now: () => clock.t };
    const timeline = new OutcomeTimeline(clock);
    const metrics = new TimelineMetrics(new MemoryMetrics(), timeline);
    expect(await timeline.queueLag(T0, 5 * MINUTE)).toBeNull();
    metrics.latency('QueueAge', 900);
    metrics.latency('QueueAge', 300);
    clock.t = T0 + 3 * MINUTE;
    metrics.latency('QueueAge', 40);
    expect(await timeline.queueLag(T0 + 3 * MINUTE + 1, 5 * MINUTE)).toBe(900);
    // Ten minutes on, the 900 ms minute is out of the window; the 40 ms one too.
    expect(await timeline.queueLag(T0 + 10 * MINUTE, 5 * MINUTE)).toBeNull();
    expect(await timeline.queueLag(T0 + 7 * MINUTE, 5 * MINUTE)).toBe(40);
  });

  it('keeps a day: minutes older than 24 hours are dropped', async () => {
    const clock = { t: T0, now: () => clock.t };
    const timeline = new OutcomeTimeline(clock);
    timeline.record('delivered', 1);
    clock.t = T0 + 24 * 3600_000 + MINUTE;
    timeline.record('delivered', 1);
    const day = await timeline.series(clock.t, 15 * MINUTE, 200);
    expect(day.reduce((n, p) => n + p.delivered, 0)).toBe(1);
  });
});

describe('CloudWatchDeliveryHistory (AWS)', () => {
  /** A CloudWatch client that records the commands and answers from a script. */
  function fakeCloudWatch(answers: Partial<GetMetricDataCommandOutput>[]) {
    const sent: GetMetricDataCommand[] = [];
    return {
      sent,
      client: {
        send: async (command: GetMetricDataCommand) => {
          sent.push(command);
          return answers.shift() ?? { MetricDataResults: [] };
        },
      } as never,
    };
  }

  it('asks for the four outcome sums of the deployment per period, aligned to the period, and zero-fills what CloudWatch leaves out', async () => {
    const cw = fakeCloudWatch([
      {
        MetricDataResults: [
          { Id: 'delivered', Timestamps: [new Date(T0 + MINUTE)], Values: [7] },
          { Id: 'failed', Timestamps: [new Date(T0), new Date(T0 + MINUTE)], Values: [2, 1] },
          { Id: 'dead', Timestamps: [], Values: [] },
        ],
        NextToken: 'more',
      },
      { MetricDataResults: [{ Id: 'canceled', Timestamps: [new Date(T0 + 2 * MINUTE)], Values: [4] }] },
    ]);
    const history = new CloudWatchDeliveryHistory(cw.client, 'Herald-production');
    const series = await history.series(T0 + 2 * MINUTE + 10_000, MINUTE, 3);
    expect(series).toEqual([
      { start: T0, delivered: 0, failed: 2, dead: 0, canceled: 0 },
      { start: T0 + MINUTE, delivered: 7, failed: 1, dead: 0, canceled: 0 },
      { start: T0 + 2 * MINUTE, delivered: 0, failed: 0, dead: 0, canceled: 4 },
    ]);
    expect(cw.sent).toHaveLength(2);
    const input = cw.sent[0]!.input;
    expect(input.StartTime).toEqual(new Date(T0));
    expect(input.EndTime).toEqual(new Date(T0 + 3 * MINUTE));
    expect(cw.sent[1]!.input.NextToken).toBe('more');
    expect(input.MetricDataQueries!.map((q) => [q.Id, q.MetricStat!.Metric!.MetricName, q.MetricStat!.Stat, q.MetricStat!.Period])).toEqual([
      ['delivered', 'Delivered', 'Sum', 60],
      ['failed', 'Failed', 'Sum', 60],
      ['dead', 'Dead', 'Sum', 60],
      ['canceled', 'Canceled', 'Sum', 60],
    ]);
    for (const q of input.MetricDataQueries!) {
      expect(q.MetricStat!.Metric).toMatchObject({ Namespace: 'Herald', Dimensions: [{ Name: 'Deployment', Value: 'Herald-production' }] });
    }
  });

  it('queue lag: the QueueAge maximum over the window, null without datapoints', async () => {
    const cw = fakeCloudWatch([{ MetricDataResults: [{ Id: 'lag', Timestamps: [new Date(T0)], Values: [1234] }] }, { MetricDataResults: [] }]);
    const history = new CloudWatchDeliveryHistory(cw.client, 'Herald');
    expect(await history.queueLag(T0 + 4 * MINUTE + 1, 5 * MINUTE)).toBe(1234);
    expect(cw.sent[0]!.input.MetricDataQueries![0]!.MetricStat).toMatchObject({ Stat: 'Maximum', Period: 300, Metric: { MetricName: 'QueueAge' } });
    expect(await history.queueLag(T0, 5 * MINUTE)).toBeNull();
  });
});
