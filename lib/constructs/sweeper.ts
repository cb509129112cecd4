import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { Alerts } from './alerts';
import type { DataStore } from './data-store';
import type { DeliveryQueues } from './delivery-queues';
import { HeraldFunction } from './herald-function';

export interface SweeperProps {
  readonly dataStore: DataStore;
  readonly queues: DeliveryQueues;
  readonly alerts: Alerts;
  /** The shared `HERALD_*` configuration. */
  readonly environment: Readonly<Record<string, string>>;
  /** Keep Lambda's own START/END/REPORT lines (context `platformLogs`; see HeraldFunctionProps). @default false */
  readonly platformLogs?: boolean;
}

/**
 * The periodic sweep, once a minute: re-enqueues deliveries that are overdue (stored but never
 * enqueued after a crash, or whose schedule was lost), flushes coalesced alerts, and disables
 * endpoints that have failed for too long. It is the safety net that makes "nothing accepted is
 * ever silently lost" hold across crashes.
 */
export class Sweeper extends Construct {
  readonly function: HeraldFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SweeperProps) {
    super(scope, id);
    this.function = new HeraldFunction(this, 'Function', {
      platformLogs: props.platformLogs,
      entry: 'lambdas/sweep/handler.ts',
      description: 'Herald sweep: re-enqueues overdue deliveries, flushes alerts, disables failing endpoints',
      memorySize: 256,
      // Below the one-minute rate, so runs rarely overlap (the sweep is idempotent when they do).
      timeout: Duration.seconds(50),
      environment: props.environment,
      // A failed run is not retried: the next one starts within a minute and its errors alarm.
      retryAttempts: 0,
    });
    this.rule = new events.Rule(this, 'EveryMinute', {
      description: 'Runs the Herald sweep',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // A trigger older than a minute is superseded by the next one.
      targets: [new targets.LambdaFunction(this.function, { maxEventAge: Duration.minutes(1), retryAttempts: 2 })],
    });
    props.dataStore.grantReadWriteData(this.function);
    props.queues.grantSendToDeliveryQueue(this.function);
    props.alerts.grantPublish(this.function);
  }
}
