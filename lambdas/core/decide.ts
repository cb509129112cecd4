/**
 * The retry decision after an attempt: a pure function of the outcome, the policy, the clock and a
 * random source. Only the deliver handler carries out what it decides.
 */
import { backoffDelaySeconds } from './backoff';
import { classify, describeOutcome } from './classify';
import { formatDuration } from './duration';
import type { Decision, Outcome, RetryPolicy } from './model';
import { parseRetryAfter } from './retry-after';

export interface DecideInput {
  readonly outcome: Outcome;
  /** 1-based number of the attempt just made within the current round. */
  readonly attempt: number;
  readonly policy: RetryPolicy;
  /** Start of the round (event accepted, or manual redelivery started), epoch ms. */
  readonly startedAt: number;
  /** Epoch ms. */
  readonly now: number;
  /** Uniform in `[0, 1)`. */
  readonly random: () => number;
}

/**
 * Decides what happens after an attempt, from the verdict {@link classify} reads in the policy's table.
 *
 * - `delivered` when the outcome is a 2xx.
 * - `canceled` on `cancel` or `cancel_and_disable` (410 Gone by default); `disableEndpoint` for the
 *   latter, so a receiver that removed its endpoint stops getting traffic.
 * - `dead` / `permanent` on `permanent`: the same request would fail the same way.
 * - `dead` / `no_response` on `stop`: the receiver did not answer and the policy (Cryptr's) assumes the
 *   endpoint does not exist, so nothing is sent again.
 * - On `retry`:
 *   - `dead` / `exhausted` when this was attempt `maxAttempts` (or later) of the round;
 *   - otherwise the delay is the receiver's `Retry-After` when the status is one of the policy's
 *     `retryAfter.statuses` and the header parses (clamped to `[minSeconds, maxSeconds]`, so a
 *     receiver can neither make Herald hammer it nor park a delivery for a year), else the fixed
 *     `delays[attempt - 1]`, else exponential backoff with jitter;
 *   - `dead` / `expired` when the next attempt would fall after `startedAt + maxAgeSeconds`: a
 *     delivery is not kept alive past its maximum age, whatever the attempt count;
 *   - else `retry` at `now + delay` (epoch ms, rounded up to a whole millisecond).
 */
export function decide(input: DecideInput): Decision {
  const { outcome, attempt, policy, startedAt, now } = input;
  switch (classify(outcome, policy)) {
    case 'delivered':
      return { kind: 'delivered' };
    case 'cancel':
      return { kind: 'canceled', disableEndpoint: false, detail: cancelDetail(outcome) };
    case 'cancel_and_disable':
      return { kind: 'canceled', disableEndpoint: true, detail: `${cancelDetail(outcome)}; endpoint disabled` };
    case 'permanent':
      return { kind: 'dead', reason: 'permanent', detail: permanentDetail(outcome) };
    case 'stop':
      return {
        kind: 'dead',
        reason: 'no_response',
        detail: `${describeOutcome(outcome)}: the policy assumes the endpoint does not exist and does not send again`,
      };
    case 'retry':
      break;
  }

  if (attempt >= policy.maxAttempts) {
    return {
      kind: 'dead',
      reason: 'exhausted',
      detail: `${attempt} of ${policy.maxAttempts} attempts made, last: ${describeOutcome(outcome)}`,
    };
  }

  const { seconds, basis } = nextDelay(input);
  const at = Math.ceil(now + seconds * 1000);
  const deadline = startedAt + policy.maxAgeSeconds * 1000;
  if (at > deadline) {
    return {
      kind: 'dead',
      reason: 'expired',
      detail:
        `the next attempt (in ${formatDuration(seconds)}) would be later than the maximum age of ` +
        `${formatDuration(policy.maxAgeSeconds)}, last: ${describeOutcome(outcome)}`,
    };
  }
  return { kind: 'retry', at, basis };
}

/** The delay before the next attempt and where it came from; `attempt` attempts were made. */
export function nextDelay(input: DecideInput): { seconds: number; basis: 'backoff' | 'delays' | 'retry_after' } {
  const { outcome, attempt, policy, now, random } = input;
  if (outcome.kind === 'http' && policy.retryAfter.statuses.includes(outcome.status)) {
    const requested = parseRetryAfter(outcome.retryAfter, now);
    if (requested !== undefined) {
      const { minSeconds, maxSeconds } = policy.retryAfter;
      return { seconds: Math.min(maxSeconds, Math.max(minSeconds, requested)), basis: 'retry_after' };
    }
  }
  const delays = policy.delays;
  if (delays !== undefined && delays.length > 0) {
    // maxAttempts is delays.length + 1, so the index is in range; the last delay repeats otherwise.
    const index = Math.min(Math.max(attempt, 1), delays.length) - 1;
    return { seconds: delays[index] ?? 0, basis: 'delays' };
  }
  return { seconds: backoffDelaySeconds(attempt, policy, random), basis: 'backoff' };
}

function cancelDetail(outcome: Outcome): string {
  if (outcome.kind === 'http' && outcome.status === 410) return 'HTTP 410 Gone: the receiver removed this endpoint';
  return `${describeOutcome(outcome)}: the retry policy cancels the delivery`;
}

function permanentDetail(outcome: Outcome): string {
  if (outcome.kind === 'blocked') return 'the target address is not allowed by the target rules';
  if (outcome.kind === 'http' && outcome.status === 410) return 'HTTP 410 Gone: the receiver removed this endpoint';
  return `${describeOutcome(outcome)} is not retried`;
}
