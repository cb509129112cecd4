/**
 * The one definition of Herald's stateful resources, read by the CDK constructs (AWS) and by local
 * mode and the test harness (dynalite, fauxqs), so the two can never drift apart.
 *
 * Pure data: no CDK or SDK imports.
 */

/** Single-table design: every entity lives in one table under `pk`/`sk`, with three sparse, KEYS_ONLY GSIs. */
export const TABLE_SPEC = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL removes the item after `retentionDays`. Code never relies on it having happened. */
  ttlAttribute: 'expiresAt',
  /**
   * Every index projects only the keys: a write that does not change an item's index keys costs no index write,
   * and a list reads the items themselves (strongly consistent) after the index gave their keys.
   */
  globalSecondaryIndexes: [
    /** Endpoints by tenant (`EPS#<tenant>`) and all endpoints (`EPS`), newest last: listing only, never fan-out. */
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'KEYS_ONLY' },
    /** Deliveries in a long wait (`WAIT#<shard>`, by due time) for the sweep (parked deliveries are in their endpoint's park log, not indexed). */
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'KEYS_ONLY' },
    /** Dead letters (`DEAD#<shard>`, by time of death); open circuits (`OPEN`); alert windows to flush (`ALERTDUE`). */
    { indexName: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: 'KEYS_ONLY' },
  ],
} as const;

/**
 * Partitions of one endpoint's deliveries (`EPD#<endpoint>#<shard>`), and of the `WAIT#` and `DEAD#` indexes: one
 * endpoint can take 8 × 1,000 WCU/s, and no index partition carries more than an eighth of the waits or deaths.
 */
export const DELIVERY_SHARDS = 8;

/**
 * Copies of each tenant's subscription list (`SUB#<tenant>#<copy>`). Publish reads one copy, chosen at random, with
 * a strongly consistent Query, so a tenant's publishes spread over 16 partitions (16 × 3,000 RCU/s); an endpoint
 * change writes every copy before the API answers.
 */
export const SUBSCRIPTION_COPIES = 16;

/**
 * Retention must outlive every delivery: the longest life a policy allows (`maxAgeSeconds`) plus this margin
 * (the last attempt's own timeout, a sweep's grace, a manual look afterwards).
 */
export const RETENTION_MARGIN_SECONDS = 86_400;

/** Deliver Lambda timeout; the per-endpoint HTTP timeout must stay below it. */
export const DELIVER_TIMEOUT_SECONDS = 60;

/**
 * The deliver Lambda's recursive loop setting. Its retries go back to the queue that invokes it, so
 * a delivery's chain of attempts is an SQS → Lambda → same queue loop; under Lambda's default
 * (`Terminate`) the chain would be stopped after about 16 hops. Attempts are bounded by the retry
 * policy, so the loop is allowed. Local mode's SQS poller reads the same setting.
 */
export const DELIVER_RECURSIVE_LOOP: 'Allow' | 'Terminate' = 'Allow';

/** Lambda's recursive loop detection stops an event's chain once it has been through the function this many times. */
export const LAMBDA_RECURSION_HOPS = 16;

/** Largest request a synchronous Lambda invocation takes: the whole event JSON, not only the HTTP body (6 MiB). */
export const LAMBDA_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Largest request body the HTTP API accepts (10 MB); a body under it can still make an event over the Lambda limit. */
export const HTTP_API_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Largest SQS message Herald's queues accept (256 KiB, body and attributes); set on the queues explicitly. */
export const SQS_MAX_MESSAGE_BYTES = 256 * 1024;

export const QUEUE_SPEC = {
  delivery: {
    /**
     * AWS asks for at least six times the function timeout on a queue that feeds a Lambda, so a
     * message is not redelivered while a slow batch (plus the poller's retries) is still running.
     */
    visibilityTimeoutSeconds: DELIVER_TIMEOUT_SECONDS * 6,
    /** 4 days: retries longer than 15 minutes wait in the Scheduler, not in the queue. */
    retentionSeconds: 4 * 24 * 3600,
    /** A message that crashed the worker this many times is a poison message: redriven to the DLQ. */
    maxReceiveCount: 5,
    maximumMessageSizeBytes: SQS_MAX_MESSAGE_BYTES,
  },
  deadLetter: {
    retentionSeconds: 14 * 24 * 3600,
    maximumMessageSizeBytes: SQS_MAX_MESSAGE_BYTES,
  },
} as const;

/**
 * The two delivery lanes. Both queues have the settings of `QUEUE_SPEC.delivery` and the same handler; they differ
 * in what they carry. The fast lane takes every new delivery and due retry. The worker moves a record to the slow
 * lane (without a POST) when its endpoint's circuit is not closed or the endpoint is marked slow, and hands over a
 * record whose POST is still running when the fast lane's patience ends. So a hanging endpoint holds up at most one
 * fast batch for `patienceMs`, and then only the slow lane, which nobody healthy shares.
 *
 * The event source mappings (AWS) and the local pollers read these numbers.
 */
export const LANE_SPEC = {
  fast: {
    /** Records per invocation: spreads the per-invocation cost, keeps a batch well inside the function timeout. */
    batchSize: 10,
    /** Waits up to this long to fill a batch under load. */
    maxBatchingWindowSeconds: 1,
    /** Most concurrent invocations; caps the outbound load and leaves account concurrency to the api. */
    maxConcurrency: 20,
    /** Local mode: parallel pollers. */
    localConcurrency: 2,
  },
  slow: {
    batchSize: 10,
    maxBatchingWindowSeconds: 1,
    /** Slow endpoints wait on each other here, never on the fast lane. */
    maxConcurrency: 10,
    localConcurrency: 2,
  },
} as const;

/** Resource names local mode and the tests use (AWS generates its own physical names). */
export interface LocalNames {
  readonly table: string;
  readonly deliveryQueue: string;
  /** The slow lane (see {@link LANE_SPEC}). */
  readonly slowDeliveryQueue: string;
  readonly deadLetterQueue: string;
  readonly alertTopic: string;
  /** Tenants' e-mail contacts subscribe to it (local mode: mailbox queues, local/mailboxes.ts). */
  readonly tenantNoticeTopic: string;
  readonly alertInbox: string;
  readonly scheduleGroup: string;
}

export const LOCAL_NAMES: LocalNames = {
  table: 'herald',
  deliveryQueue: 'herald-delivery',
  slowDeliveryQueue: 'herald-delivery-slow',
  deadLetterQueue: 'herald-dead-letter',
  alertTopic: 'herald-alerts',
  tenantNoticeTopic: 'herald-tenant-notices',
  /** Local only: subscribed to the alert topic so alerts can be printed or asserted. */
  alertInbox: 'herald-alert-inbox',
  scheduleGroup: 'herald',
};

/** Largest SQS message timer; a retry due sooner than this can skip the Scheduler. */
export const SQS_MAX_DELAY_SECONDS = 900;
