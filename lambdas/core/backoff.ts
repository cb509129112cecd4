/**
 * Exponential backoff with jitter.
 */
import type { RetryPolicy } from './model';

/** No computed delay is shorter than this: a zero delay would hammer a receiver that just failed. */
export const MIN_BACKOFF_SECONDS = 1;

/**
 * The ceiling of the delay after `attempt` attempts: `min(base * 2^(attempt - 1), maxDelay)`.
 *
 * The exponent starts at 0 so the first retry waits about `base` (30 s by default), then the
 * ceiling doubles with each further failure until `maxDelay`. Jitter picks the actual delay below it.
 */
export function backoffCapSeconds(attempt: number, policy: RetryPolicy): number {
  const { baseSeconds, maxDelaySeconds } = policy.backoff;
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  return Math.max(MIN_BACKOFF_SECONDS, Math.min(baseSeconds * 2 ** exponent, maxDelaySeconds));
}

/**
 * The delay in seconds before attempt `attempt + 1`, after `attempt` (1-based) attempts were made.
 *
 * Jitter spreads the retries of many deliveries that failed together (a receiver outage) so they do
 * not come back as one thundering herd:
 * - `full`: uniform in `[0, cap)` — the widest spread, the AWS-recommended default;
 * - `equal`: `cap/2 + uniform [0, cap/2)` — keeps at least half the backoff;
 * - `none`: exactly `cap`, for predictable schedules.
 *
 * The result is never below {@link MIN_BACKOFF_SECONDS} nor above `maxDelaySeconds`.
 *
 * @param random a uniform source in `[0, 1)` (`Math.random` in production, fixed in tests); values
 *   outside that range are clamped
 */
export function backoffDelaySeconds(attempt: number, policy: RetryPolicy, random: () => number): number {
  const cap = backoffCapSeconds(attempt, policy);
  let delay: number;
  switch (policy.backoff.jitter) {
    case 'full':
      delay = unit(random) * cap;
      break;
    case 'equal':
      delay = cap / 2 + (unit(random) * cap) / 2;
      break;
    case 'none':
      delay = cap;
      break;
  }
  return Math.min(cap, Math.max(MIN_BACKOFF_SECONDS, delay));
}

function unit(random: () => number): number {
  const value = random();
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
