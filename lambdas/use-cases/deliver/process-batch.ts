/**
 * One batch of delivery-queue messages: parse, load everything the batch refers to in batched
 * reads, then deliver with bounded concurrency and report which records must come back.
 */
import { controlMessageOf, type ControlMessage } from '../../core/control';
import type { Lane } from '../../core/lanes';
import { carriedEvent } from '../../core/inline-event';
import type { DeliveryMessage } from '../../core/model';
import type { QueuedDelivery } from '../../ports';
import { BatchScope } from './batch-scope';
import { deliverOne, effectiveTimeoutMs, type ItemResult, type WorkItem } from './deliver-one';
import { LATENCY_METRICS } from '../../ports/metrics';
import { flushCircuits } from './circuit-effects';
import { errorText, type DeliverDeps } from './deps';
import { handleProbe } from './probe';
import { handleRelease } from './release';
import { checkDegraded } from './degraded';
import { flushHealth } from './health';

/** Time an attempt needs after its HTTP timeout to be recorded and its effects carried out. */
export const FINISH_MARGIN_MS = 5000;

export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  /**
   * SQS system attributes: `SentTimestamp` (epoch ms as a string) gives the queue age metric;
   * `ApproximateReceiveCount` above 1 means the message may have been handled before.
   */
  readonly attributes?: { readonly SentTimestamp?: string; readonly ApproximateReceiveCount?: string };
}

export interface BatchOptions {
  /** Time left in the invocation (Lambda context); records that could not finish in it are not started. */
  readonly remainingTimeMs?: () => number;
  /** The lane the batch came from (lib/spec.ts LANE_SPEC). @default 'fast' */
  readonly lane?: Lane;
}

export interface BatchResult {
  /** Records to leave on the queue: their state could not be saved, or they were not started in time. */
  readonly failedMessageIds: readonly string[];
}

/** A DeliveryMessage, or undefined when the body is not one. */
export function parseDeliveryMessage(body: string): DeliveryMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { deliveryId, attempt, redelivery, event } = value as Record<string, unknown>;
  if (typeof deliveryId !== 'string' || deliveryId.length === 0 || deliveryId.length > 200) return undefined;
  if (typeof attempt !== 'number' || !Number.isSafeInteger(attempt) || attempt < 1) return undefined;
  // A carried event that does not belong to the delivery is left out: the worker reads the event instead.
  const carried = event === undefined ? undefined : carriedEvent(event, deliveryId);
  return { deliveryId, attempt, ...(redelivery === true ? { redelivery: true as const } : {}), ...(carried === undefined ? {} : { event: carried }) };
}

/** The parsed JSON of a message body, or undefined when it is not JSON. */
function jsonOf(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The batch's circuit breaker control messages (probe.ts, release.ts), one at a time; the ids of those that failed. */
async function runControls(deps: DeliverDeps, controls: readonly { record: QueueRecord; control: ControlMessage }[]): Promise<string[]> {
  const failed: string[] = [];
  for (const { record, control } of controls) {
    try {
      if (control.control === 'probe') await handleProbe(deps, control.endpointId);
      else await handleRelease(deps, control.endpointId);
    } catch (error) {
      deps.log.error('control message failed; it will come back', { messageId: record.messageId, ...control, error: errorText(error) });
      failed.push(record.messageId);
    }
  }
  return failed;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * Processes one SQS batch.
 *
 * - A body that is not a DeliveryMessage cannot succeed on any retry: it is logged and acknowledged
 *   (kept back it would only come round again until the redrive policy moved it).
 * - The events, endpoints and (unless the message is a fresh first attempt) deliveries of the whole
 *   batch are read in batched, strongly consistent reads. If that fails, the error propagates and
 *   the whole batch comes back: nothing is acknowledged by accident.
 * - Records are then delivered with at most `concurrency` in flight. A record whose state could not
 *   be saved, or whose processing threw, is reported as failed, alone; the others are acknowledged.
 *   What records of one endpoint or event share (policy, headers, signing keys, envelope, health
 *   tally) is worked out once for the batch (see batch-scope.ts).
 * - The retries of the batch's records are sent together once every record ran (a record whose retry
 *   could not be sent is failed), and each endpoint's health is written once.
 * - A record that could no longer finish within the invocation's remaining time (its timeout plus
 *   {@link FINISH_MARGIN_MS}) is not started and is reported as failed, so it comes back untouched.
 */
export async function processBatch(deps: DeliverDeps, records: readonly QueueRecord[], options: BatchOptions = {}): Promise<BatchResult> {
  const parsed: { record: QueueRecord; message: DeliveryMessage }[] = [];
  const controls: { record: QueueRecord; control: ControlMessage }[] = [];
  const receivedAt = deps.clock.now();
  for (const record of records) {
    const sentAt = Number(record.attributes?.SentTimestamp);
    if (Number.isFinite(sentAt) && sentAt > 0) deps.metrics.latency(LATENCY_METRICS.queueAge, Math.max(0, receivedAt - sentAt));
    const control = controlMessageOf(jsonOf(record.body));
    if (control !== undefined) {
      controls.push({ record, control });
      continue;
    }
    const message = parseDeliveryMessage(record.body);
    if (message === undefined) {
      deps.log.warn('malformed delivery message acknowledged without processing', {
        messageId: record.messageId,
        body: record.body.slice(0, 200),
      });
    } else {
      parsed.push({ record, message });
    }
  }
  const failedControls = await runControls(deps, controls);
  if (parsed.length === 0) return { failedMessageIds: failedControls };

  const work = parsed.map(({ record, message }) => {
    const received = Number(record.attributes?.ApproximateReceiveCount ?? '1');
    const mayDuplicate = message.redelivery === true || received > 1;
    // A fresh first attempt needs no read of its delivery: nothing can have happened to it yet.
    return { record, message, mayDuplicate, returned: received > 1, readDelivery: mayDuplicate || message.attempt > 1 };
  });
  const loaded = await deps.store.load(
    work.map((w) => ({ deliveryId: w.message.deliveryId, readDelivery: w.readDelivery, ...(w.message.event === undefined ? {} : { event: w.message.event }) })),
  );
  const scope = new BatchScope();
  for (const w of work) {
    const endpoint = loaded.get(w.message.deliveryId)?.endpoint;
    if (endpoint?.rateLimitPerSecond !== undefined) scope.rates.expect(endpoint.id);
  }
  const outbox: { index: number; message: QueuedDelivery }[] = [];

  const results = await mapWithConcurrency(work, deps.settings.concurrency, async ({ record, message, mayDuplicate, returned }, index): Promise<ItemResult> => {
    const { delivery, stored, endpoint, event } = loaded.get(message.deliveryId) ?? { stored: false };
    if (options.remainingTimeMs !== undefined) {
      const needed = (endpoint === undefined ? 0 : effectiveTimeoutMs(endpoint, deps.settings.maxTimeoutMs)) + FINISH_MARGIN_MS;
      if (options.remainingTimeMs() < needed) {
        deps.log.warn('not enough time left in this invocation; record left for a later one', { messageId: record.messageId });
        return 'failed';
      }
    }
    const item: { -readonly [K in keyof WorkItem]: WorkItem[K] } = {
      message,
      mayDuplicate,
      returned,
      stored,
      sendLater: (queued) => outbox.push({ index, message: queued }),
      lane: options.lane ?? 'fast',
    };
    if (delivery !== undefined) item.delivery = delivery;
    if (endpoint !== undefined) item.endpoint = endpoint;
    if (event !== undefined) item.event = event;
    try {
      return await deliverOne(deps, item, scope);
    } catch (error) {
      deps.log.error('record failed', { messageId: record.messageId, deliveryId: message.deliveryId, error: errorText(error) });
      return 'failed';
    }
  });

  scope.parks.log(deps);

  // The batch's retries go out in one send, before any record is acknowledged: a record whose retry could not be
  // sent comes back, finds its attempt saved, and sends the retry again.
  if (outbox.length > 0) {
    try {
      await deps.queue.send(outbox.map((o) => o.message));
    } catch (error) {
      deps.log.error('the batch\'s retries could not be sent; their records will come back', { count: outbox.length, error: errorText(error) });
      for (const o of outbox) results[o.index] = 'failed';
    }
  }
  await flushHealth(deps, scope);
  await flushCircuits(deps, scope);
  await checkDegraded(deps, scope.endpointPlans());

  return { failedMessageIds: [...failedControls, ...work.filter((_, i) => results[i] === 'failed').map((w) => w.record.messageId)] };
}
