/**
 * Messages that arrive before their time go back on the queue for the seconds left.
 *
 * A retry scheduled through EventBridge Scheduler carries the time it is due (`notBefore`, set by
 * the Scheduler adapter). The Scheduler fires anywhere within the minute of its expression, and the
 * adapter rounds up to the next minute so that it does not fire early; this is the second guard,
 * for whatever still arrives before its time. A receiver's `Retry-After` means "not before", so an
 * attempt must never go out early.
 */
import { SQS_MAX_DELAY_SECONDS } from '../../../lib/spec';
import type { DeliveryMessage } from '../../core/model';
import type { Clock, DeliveryQueue } from '../../ports';
import { errorText, type Logger } from './deps';

export interface HoldEarlyDeps {
  readonly queue: DeliveryQueue;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The parts of an SQS record this step reads. */
export interface ArrivingRecord {
  readonly messageId: string;
  readonly body: string;
  readonly attributes?: { readonly MessageGroupId?: string };
}

export interface HoldEarlyResult<R> {
  /** Records due now (or without a due time): processed as usual. */
  readonly due: R[];
  /** Early records that could not be put back: they must stay on the queue and come back. */
  readonly failedMessageIds: string[];
}

/**
 * The due time of a message body, when it carries one: `notBefore` in epoch milliseconds. Only
 * bodies that mention it are parsed, so an ordinary message costs one regular-expression test.
 */
export function notBeforeOf(body: string): { message: DeliveryMessage; notBefore: number } | undefined {
  const mentioned = /"notBefore"\s*:\s*(\d{1,16})[,}\s]/.exec(body);
  if (mentioned === null) return undefined;
  try {
    const message = JSON.parse(body) as DeliveryMessage & { notBefore?: unknown };
    const notBefore = Number(mentioned[1]);
    return message.notBefore === notBefore ? { message, notBefore } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The whole seconds to wait until `notBefore`, rounded up (a message timer counts whole seconds,
 * and rounding down would bring it back early again), at most the longest SQS message timer; a
 * longer wait takes several rounds. 0 when the time has come.
 */
export function secondsLeft(notBefore: number, now: number): number {
  if (notBefore <= now) return 0;
  return Math.min(SQS_MAX_DELAY_SECONDS, Math.ceil((notBefore - now) / 1000));
}

/**
 * Splits a batch into the records that are due and those that arrived early. An early record is
 * sent back to the delivery queue unchanged, with a message timer for the seconds left, and then
 * acknowledged like a handled one; if that send fails it is reported failed, so SQS brings it back.
 */
export async function holdEarly<R extends ArrivingRecord>(deps: HoldEarlyDeps, records: readonly R[]): Promise<HoldEarlyResult<R>> {
  const due: R[] = [];
  const failedMessageIds: string[] = [];
  const now = deps.clock.now();
  for (const record of records) {
    const found = notBeforeOf(record.body);
    const delaySeconds = found === undefined ? 0 : secondsLeft(found.notBefore, now);
    if (found === undefined || delaySeconds === 0) {
      due.push(record);
      continue;
    }
    const fields = {
      messageId: record.messageId,
      deliveryId: found.message.deliveryId,
      attempt: found.message.attempt,
      notBefore: new Date(found.notBefore).toISOString(),
      delaySeconds,
    };
    try {
      await deps.queue.send([{ message: found.message, groupId: record.attributes?.MessageGroupId ?? found.message.deliveryId, delaySeconds }]);
      deps.log.info('message arrived before its time; put back for the seconds left', fields);
    } catch (error) {
      deps.log.error('an early message could not be put back; it will come back', { ...fields, error: errorText(error) });
      failedMessageIds.push(record.messageId);
    }
  }
  return { due, failedMessageIds };
}
