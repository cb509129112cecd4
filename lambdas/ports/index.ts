/**
 * Ports the domain owns for effects other than storage. Adapters in lambdas/adapters implement them;
 * use cases receive them as arguments, tests pass their own.
 */
import type { ControlMessage } from '../core/control';
import type { DeliveryMessage, Outcome } from '../core/model';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface QueuedDelivery {
  /** A delivery message, or a circuit breaker control message (core/control.ts). */
  readonly message: DeliveryMessage | ControlMessage;
  /** The endpoint id: SQS fair-queue message group, so one endpoint's backlog does not starve others. */
  readonly groupId: string;
  /** SQS message timer, 0..900 seconds. */
  readonly delaySeconds?: number;
}

/** The SQS delivery queue. */
export interface DeliveryQueue {
  /** Sends every message (batched). Throws if any message could not be sent, after retrying the failed entries. */
  send(messages: readonly QueuedDelivery[]): Promise<void>;
}

/** EventBridge Scheduler one-time schedules that put a DeliveryMessage back on the delivery queue. */
export interface RetryScheduler {
  /**
   * Creates schedule `name` to fire at `at` (epoch ms). A schedule of that name that already exists counts as
   * success, so a repeated create after a crash is harmless.
   */
  scheduleAt(name: string, at: number, message: DeliveryMessage): Promise<void>;
}

/** What goes on the SQS dead-letter queue when Herald gives up on a delivery. */
export interface DeadLetterRecord {
  readonly kind: 'delivery_dead';
  readonly deliveryId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly tenant: string;
  readonly endpointId: string;
  readonly endpointUrl: string;
  readonly attempts: number;
  readonly lastOutcome?: Outcome;
  readonly reason: string;
  readonly deadAt: string;
}

export interface DeadLetterQueue {
  put(record: DeadLetterRecord): Promise<void>;
}

/** The SNS alert topic (e-mailed to the operator in AWS, printed to the console locally). */
export interface Alerts {
  publish(subject: string, message: string): Promise<void>;
}

export interface SendRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

export interface SendResult {
  readonly outcome: Outcome;
  readonly latencyMs: number;
  /** First bytes of the response body, decoded as UTF-8 (capped). */
  readonly responseExcerpt?: string;
  /** Transport error description for non-http outcomes. */
  readonly error?: string;
}

/** POSTs one webhook. Never throws for a transport failure: that is an outcome. */
export interface HttpSender {
  send(request: SendRequest): Promise<SendResult>;
}

/** The accepted API keys (current and, during rotation, previous). */
export interface ApiKeys {
  keys(): Promise<readonly string[]>;
}

/**
 * Seals secrets for storage and opens them again (lambdas/adapters/secret-box.ts: envelope encryption under the
 * deployment's KMS key). `context` names what the value belongs to; a value opens only under the context it was
 * sealed with.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}
