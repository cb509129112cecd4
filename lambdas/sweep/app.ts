/**
 * The sweep Lambda's handler, built from its dependencies (the composition root ./handler.ts passes AWS
 * clients; local mode runs it on a timer with its own).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoCircuitStore } from '../adapters/dynamo/circuit-store';
import { DynamoDeliveryStore } from '../adapters/dynamo/delivery-store';
import { DynamoEventStore } from '../adapters/dynamo/event-store';
import { errorFields, jsonLogger, type Logger } from '../logger';
import type { Alerts, Clock, DeliveryQueue } from '../ports';
import type { OperationalEvents } from '../ports/operational-events';
import type { TenantNotices } from '../ports/tenant-notices';
import { flushAlerts } from '../use-cases/deliver/flush-alerts';
import { sweepOverdue, type SweepResult } from '../use-cases/sweep';
import { sweepCircuits } from '../use-cases/sweep-circuits';

export interface SweepHandlerDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly queue: DeliveryQueue;
  /** Where the summaries of coalesced dead-letter alerts go. */
  readonly alerts: Alerts;
  /** The summaries also go to the operational webhook (NO_OPERATIONAL_EVENTS when the deployment names none). */
  readonly operational: OperationalEvents;
  /** The summaries also go to the endpoint's and its tenant's contacts. */
  readonly notices: TenantNotices;
  readonly clock: Clock;
  readonly graceSeconds: number;
  readonly retentionDays: number;
  /** @default 2000 */
  readonly maxPerRun?: number;
  /** See SweepDeps.lookaheadSeconds. @default 0 */
  readonly lookaheadSeconds?: number;
  /** @default JSON lines on stdout/stderr */
  readonly logger?: Logger;
}

export type SweepSummary = Omit<SweepResult, 'enqueueError'> & {
  readonly alertSummaries: number;
  /** Endpoints whose circuit needed a probe or a release restarted (issue 11). */
  readonly circuitsProbed: number;
};

/**
 * Builds the handler of the scheduled sweep (an EventBridge rule, once a minute; the event itself carries
 * nothing the sweep needs). It re-enqueues overdue deliveries, publishes the summaries of alert windows that
 * held dead letters back, and logs the counts. When messages could not be
 * sent it throws after logging, so the failed run shows in the Lambda's error metric; the deliveries stay due
 * and the next run picks them up.
 */
export function createSweepHandler(deps: SweepHandlerDeps): (event?: unknown) => Promise<SweepSummary> {
  const logger = deps.logger ?? jsonLogger;
  const events = new DynamoEventStore(deps.doc, deps.tableName, deps.retentionDays);
  const alertStore = new DynamoDeliveryStore(deps.doc, { tableName: deps.tableName, retentionDays: deps.retentionDays });
  const circuits = new DynamoCircuitStore(deps.doc, deps.tableName);
  return async () => {
    // Alerts first: they need no queue, so a queue outage does not also hold back the alerts about it.
    const alertSummaries = await flushAlerts({ store: alertStore, alerts: deps.alerts, operational: deps.operational, notices: deps.notices, clock: deps.clock, log: logger });
    const { enqueueError, ...swept } = await sweepOverdue({
      events,
      queue: deps.queue,
      clock: deps.clock,
      graceSeconds: deps.graceSeconds,
      ...(deps.maxPerRun === undefined ? {} : { maxPerRun: deps.maxPerRun }),
      ...(deps.lookaheadSeconds === undefined ? {} : { lookaheadSeconds: deps.lookaheadSeconds }),
    });
    const circuitsProbed = await sweepCircuits({ circuits, queue: deps.queue, clock: deps.clock });
    const summary = { ...swept, alertSummaries, circuitsProbed };
    if (summary.enqueueFailures > 0) {
      logger.error('sweep could not enqueue every overdue delivery', { ...summary, ...errorFields(enqueueError) });
      throw new Error(`sweep: ${summary.enqueueFailures} overdue deliveries could not be enqueued`);
    }
    logger.info('sweep done', { ...summary });
    return summary;
  };
}
