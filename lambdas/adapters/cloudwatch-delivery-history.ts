/**
 * The overview's delivery history in AWS: Herald's own EMF metrics read back from CloudWatch (GetMetricData), one
 * call per chart, so the console shows the same numbers as the stack's dashboard without keeping any state.
 *
 * The metrics have one dimension, `Deployment` (ports/metrics.ts), so four queries (Delivered, Failed, Dead and
 * Canceled, each summed per period) cover the deployment; `Failed` is read at that dimension alone, not per class.
 */
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { COUNT_METRICS, DEPLOYMENT_DIMENSION, LATENCY_METRICS, METRICS_NAMESPACE } from '../ports/metrics';
import type { DeliveryHistory, OutcomeCounts } from '../ports/operations';

const OUTCOMES = [
  ['delivered', COUNT_METRICS.delivered],
  ['failed', COUNT_METRICS.failed],
  ['dead', COUNT_METRICS.dead],
  ['canceled', COUNT_METRICS.canceled],
] as const;

export class CloudWatchDeliveryHistory implements DeliveryHistory {
  readonly source = 'cloudwatch';

  constructor(
    private readonly cloudwatch: Pick<CloudWatchClient, 'send'>,
    /** The `Deployment` dimension's value (the stack's name). */
    private readonly deployment: string,
  ) {}

  async series(now: number, periodMs: number, count: number): Promise<OutcomeCounts[]> {
    const end = Math.floor(now / periodMs) * periodMs + periodMs;
    const start = end - count * periodMs;
    const values = await this.query(
      OUTCOMES.map(([id, name]) => this.stat(id, name, periodMs, 'Sum')),
      start,
      end,
    );
    return Array.from({ length: count }, (_, i) => {
      const at = start + i * periodMs;
      return {
        start: at,
        delivered: values.get('delivered')?.get(at) ?? 0,
        failed: values.get('failed')?.get(at) ?? 0,
        dead: values.get('dead')?.get(at) ?? 0,
        canceled: values.get('canceled')?.get(at) ?? 0,
      };
    });
  }

  async queueLag(now: number, windowMs: number): Promise<number | null> {
    const minute = 60_000;
    const end = Math.floor(now / minute) * minute + minute;
    const start = end - Math.ceil(windowMs / minute) * minute;
    const values = await this.query([this.stat('lag', LATENCY_METRICS.queueAge, end - start, 'Maximum')], start, end);
    const points = [...(values.get('lag')?.values() ?? [])];
    return points.length === 0 ? null : Math.max(...points);
  }

  private stat(id: string, metricName: string, periodMs: number, stat: 'Sum' | 'Maximum'): MetricDataQuery {
    return {
      Id: id,
      MetricStat: {
        Metric: { Namespace: METRICS_NAMESPACE, MetricName: metricName, Dimensions: [{ Name: DEPLOYMENT_DIMENSION, Value: this.deployment }] },
        Period: Math.round(periodMs / 1000),
        Stat: stat,
      },
      ReturnData: true,
    };
  }

  /** Every query's datapoints by period start (epoch ms), following NextToken. */
  private async query(queries: MetricDataQuery[], start: number, end: number): Promise<Map<string, Map<number, number>>> {
    const values = new Map<string, Map<number, number>>();
    let nextToken: string | undefined;
    do {
      const out = await this.cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(start),
          EndTime: new Date(end),
          ScanBy: 'TimestampAscending',
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
      );
      for (const result of out.MetricDataResults ?? []) {
        const byTime = values.get(result.Id ?? '') ?? new Map<number, number>();
        values.set(result.Id ?? '', byTime);
        (result.Timestamps ?? []).forEach((t, i) => byTime.set(new Date(t).getTime(), result.Values?.[i] ?? 0));
      }
      nextToken = out.NextToken;
    } while (nextToken !== undefined);
    return values;
  }
}
