/**
 * One batch of delivery-queue messages: parse, load everything the batch refers to in batched
 * reads, then deliver with bounded concurrency and report which records must come back.
 */
import type { DeliveryMessage } from '../../core/model';
import { BatchScope } from './batch-scope';
import { deliverOne, effectiveTimeoutMs, type ItemResult, type WorkItem } from './deliver-one';
import { LATENCY_METRICS } from '../../ports/metrics';
import { errorText, type DeliverDeps } from './deps';

/** Time an attempt needs after its HTTP timeout to be recorded and its effects carried out. */
export const FINISH_MARGIN_MS = 5000;

export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  /** SQS system attributes; `SentTimestamp` (epoch ms as a string) gives the queue age metric. */
  readonly attributes?: { readonly SentTimestamp?: string };
}

export interface BatchOptions {
  /** Time left in the invocation (Lambda context); records that could not finish in it are not started. */
  readonly remainingTimeMs?: () => number;
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
  const { deliveryId, attempt } = value as Record<string, unknown>;
  if (typeof deliveryId !== 'string' || deliveryId.length === 0 || deliveryId.length > 200) return undefined;
  if (typeof attempt !== 'number' || !Number.isSafeInteger(attempt) || attempt < 1) return undefined;
  return { deliveryId, attempt };
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
 * - The deliveries, endpoints and events of the whole batch are read in batched, strongly consistent
 *   reads. If that fails, the error propagates and the whole batch comes back: nothing is
 *   acknowledged by accident.
 * - Records are then delivered with at most `concurrency` in flight. A record whose state could not
 *   be saved, or whose processing threw, is reported as failed, alone; the others are acknowledged.
 *   What records of one endpoint or event share (policy, headers, signing keys, envelope, health
 *   writes) is worked out once for the batch (see batch-scope.ts).
 * - A record that could no longer finish within the invocation's remaining time (its timeout plus
 *   {@link FINISH_MARGIN_MS}) is not started and is reported as failed, so it comes back untouched.
 */
export async function processBatch(deps: DeliverDeps, records: readonly QueueRecord[], options: BatchOptions = {}): Promise<BatchResult> {
  const parsed: { record: QueueRecord; message: DeliveryMessage }[] = [];
  const receivedAt = deps.clock.now();
  for (const record of records) {
    const sentAt = Number(record.attributes?.SentTimestamp);
    if (Number.isFinite(sentAt) && sentAt > 0) deps.metrics.latency(LATENCY_METRICS.queueAge, Math.max(0, receivedAt - sentAt));
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
  if (parsed.length === 0) return { failedMessageIds: [] };

  const loaded = await deps.store.load(parsed.map((p) => p.message.deliveryId));
  const scope = new BatchScope();

  const results = await mapWithConcurrency(parsed, deps.settings.concurrency, async ({ record, message }): Promise<ItemResult> => {
    const delivery = loaded.deliveries.get(message.deliveryId);
    const endpoint = delivery === undefined ? undefined : loaded.endpoints.get(delivery.endpointId);
    const event = delivery === undefined ? undefined : loaded.events.get(delivery.eventId);
    if (options.remainingTimeMs !== undefined) {
      const needed = (endpoint === undefined ? 0 : effectiveTimeoutMs(endpoint, deps.settings.maxTimeoutMs)) + FINISH_MARGIN_MS;
      if (options.remainingTimeMs() < needed) {
        deps.log.warn('not enough time left in this invocation; record left for a later one', { messageId: record.messageId });
        return 'failed';
      }
    }
    const item: { -readonly [K in keyof WorkItem]: WorkItem[K] } = { message };
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

  return { failedMessageIds: parsed.filter((_, i) => results[i] === 'failed').map((p) => p.record.messageId) };
}
