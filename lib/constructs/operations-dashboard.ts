import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  COUNT_METRICS,
  DEPLOYMENT_DIMENSION,
  FAILURE_CLASS_DIMENSION,
  FAILURE_CLASSES,
  LATENCY_METRICS,
  METRICS_NAMESPACE,
} from '../../lambdas/ports/metrics';
import type { HeraldFunction } from './herald-function';

export interface OperationsDashboardProps {
  /** The metrics' `Deployment` dimension value (the stack's name). */
  readonly deployment: string;
  readonly api: HeraldFunction;
  readonly worker: HeraldFunction;
  readonly sweeper: HeraldFunction;
  readonly deliveryQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
}

/** One saved Logs Insights query: its name (under `Herald/`), the query, and which functions' logs it reads. */
export interface SavedQuery {
  readonly name: string;
  readonly query: logs.QueryStringProps;
  readonly logs: 'worker' | 'api' | 'all';
}

/**
 * The per-endpoint drill-down the metrics deliberately leave out (no per-endpoint dimension): queries over the
 * worker's structured `attempt` lines (`endpointId`, `deliveryId`, `outcome`, `latencyMs`, `next`).
 */
export const SAVED_QUERIES: readonly SavedQuery[] = [
  {
    name: 'failing-endpoints',
    logs: 'worker',
    query: {
      fields: ['endpointId', 'outcome'],
      filterStatements: ["message = 'attempt'", "next != 'delivered'"],
      statsStatements: ['count(*) as failures, latest(outcome) as lastOutcome, latest(@timestamp) as lastFailure by endpointId'],
      sort: 'failures desc',
      limit: 50,
    },
  },
  {
    name: 'endpoint-success-rate',
    logs: 'worker',
    query: {
      fields: ['endpointId', "strcontains(next, 'delivered') as ok", 'latencyMs'],
      filterStatements: ["message = 'attempt'"],
      statsStatements: ['count(*) as attempts, sum(ok) as delivered, sum(ok) * 100 / count(*) as successPercent, pct(latencyMs, 95) as p95Ms by endpointId'],
      sort: 'successPercent asc',
      limit: 100,
    },
  },
  {
    name: 'endpoint-attempts',
    logs: 'worker',
    query: {
      fields: ['@timestamp', 'deliveryId', 'attempt', 'outcome', 'latencyMs', 'next', 'nextAttemptAt'],
      // Replace the id with the endpoint to inspect.
      filterStatements: ["message = 'attempt'", "endpointId = 'ep_REPLACE_WITH_ENDPOINT_ID'"],
      sort: '@timestamp desc',
      limit: 200,
    },
  },
  {
    name: 'delivery-trace',
    logs: 'all',
    query: {
      fields: ['@timestamp', '@log', 'level', 'message', 'attempt', 'outcome', 'latencyMs', 'next', 'status', 'reason'],
      // Replace the id with the delivery to trace (every line about it, from every function).
      filterStatements: ["deliveryId = 'dlv_REPLACE_WITH_DELIVERY_ID'"],
      sort: '@timestamp asc',
      limit: 200,
    },
  },
  {
    name: 'dead-letters',
    logs: 'worker',
    query: {
      fields: ['@timestamp', 'endpointId', 'deliveryId', 'outcome', 'reason'],
      filterStatements: ["next = 'dead' or status = 'dead'"],
      sort: '@timestamp desc',
      limit: 200,
    },
  },
  {
    name: 'errors',
    logs: 'all',
    query: {
      fields: ['@timestamp', '@log', 'message', 'error', 'errorMessage', 'deliveryId', 'endpointId'],
      filterStatements: ["level = 'error'"],
      sort: '@timestamp desc',
      limit: 200,
    },
  },
];

/**
 * Herald's operations view in CloudWatch: one dashboard over the deployment-level EMF metrics (deliveries by
 * outcome, failures by class, the latencies, parked deliveries and opened circuits), the queues and the
 * functions, plus the Logs Insights queries saved under `Herald/` for the per-endpoint drill-down the metrics
 * leave out on purpose. A dashboard costs 3 USD a month beyond the free three; saved queries cost nothing.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly queries: readonly logs.QueryDefinition[];

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const dimensionsMap = { [DEPLOYMENT_DIMENSION]: props.deployment };
    const period = Duration.minutes(1);
    const metric = (metricName: string, statistic: string, label: string, extra: Record<string, string> = {}) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { ...dimensionsMap, ...extra }, statistic, period, label });

    const logGroups = {
      worker: [props.worker.logGroup],
      api: [props.api.logGroup],
      all: [props.api.logGroup, props.worker.logGroup, props.sweeper.logGroup],
    };
    this.queries = SAVED_QUERIES.map(
      (q) =>
        new logs.QueryDefinition(this, `Query-${q.name}`, {
          queryDefinitionName: `${Stack.of(this).stackName}/${q.name}`,
          queryString: new logs.QueryString(q.query),
          logGroups: logGroups[q.logs],
        }),
    );
    const insights = (name: string) => {
      const saved = SAVED_QUERIES.find((q) => q.name === name) as SavedQuery;
      return { logGroupNames: logGroups[saved.logs].map((g) => g.logGroupName), queryString: new logs.QueryString(saved.query).toString() };
    };

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Deliveries per minute by outcome',
            width: 12,
            left: [
              metric(COUNT_METRICS.published, 'Sum', 'published'),
              metric(COUNT_METRICS.delivered, 'Sum', 'delivered'),
              metric(COUNT_METRICS.failed, 'Sum', 'failed attempts'),
              metric(COUNT_METRICS.dead, 'Sum', 'dead'),
              metric(COUNT_METRICS.canceled, 'Sum', 'canceled'),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Failed attempts by class',
            width: 12,
            stacked: true,
            left: FAILURE_CLASSES.map((c) => metric(COUNT_METRICS.failed, 'Sum', c, { [FAILURE_CLASS_DIMENSION]: c })),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Attempt latency (ms)',
            width: 8,
            left: ['p50', 'p95', 'p99'].map((p) => metric(LATENCY_METRICS.attempt, p, p)),
          }),
          new cloudwatch.GraphWidget({
            title: 'Publish to delivery (ms)',
            width: 8,
            left: ['p50', 'p95', 'p99'].map((p) => metric(LATENCY_METRICS.delivery, p, p)),
          }),
          new cloudwatch.GraphWidget({
            title: 'Queue age when taken (ms, timers included)',
            width: 8,
            left: [metric(LATENCY_METRICS.queueAge, 'p95', 'p95'), metric(LATENCY_METRICS.queueAge, 'Maximum', 'max')],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Circuit breaker',
            width: 8,
            left: [metric(COUNT_METRICS.circuitOpen, 'Sum', 'circuits opened'), metric(COUNT_METRICS.parked, 'Sum', 'deliveries parked')],
          }),
          new cloudwatch.GraphWidget({
            title: 'Queues',
            width: 8,
            left: [props.deliveryQueue.metricApproximateAgeOfOldestMessage({ period, label: 'oldest message on the delivery queue (s)' })],
            right: [
              props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'dead-letter queue depth' }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Lambda errors',
            width: 8,
            left: [
              props.api.metricErrors({ period, label: 'api' }),
              props.worker.metricErrors({ period, label: 'deliver' }),
              props.sweeper.metricErrors({ period, label: 'sweep' }),
            ],
          }),
        ],
        [
          new cloudwatch.LogQueryWidget({ title: 'Failing endpoints (logs)', width: 12, height: 8, ...insights('failing-endpoints') }),
          new cloudwatch.LogQueryWidget({ title: 'Endpoint success rate (logs)', width: 12, height: 8, ...insights('endpoint-success-rate') }),
        ],
      ],
    });
  }
}
