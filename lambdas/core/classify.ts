/**
 * Response classification: what one attempt's outcome means for the delivery.
 */
import type { Classification, Outcome, RetryPolicy } from './model';

/** Statuses that ask the sender to come back later even though they are 4xx. */
const RETRYABLE_CLIENT_STATUSES: ReadonlySet<number> = new Set([408, 425, 429]);

/**
 * Maps an attempt's outcome to `delivered | retry | cancel | permanent` under a policy.
 *
 * - 2xx: delivered.
 * - 410 Gone: the receiver says the endpoint no longer exists, so retrying is pointless and rude:
 *   `cancel` (policy `on410` `cancel` or `cancel_and_disable`), or `permanent` (dead-lettered and
 *   alerted) when `on410` is `permanent`. `retryClientErrors` does not change this.
 * - 408 Request Timeout, 425 Too Early, 429 Too Many Requests and every 5xx: retry, they are
 *   temporary by definition.
 * - 3xx: retry. Redirects are not followed (a redirect could point at an internal address and a
 *   webhook URL should be the final one), so a redirect is a failed attempt like any other.
 * - Transport outcomes (timeout, refused or reset connection, DNS, TLS, invalid response): retry,
 *   the receiver may be back soon.
 * - `blocked` (the target resolved to an address the target rules forbid): permanent, the address
 *   will not become allowed by waiting, and retrying would only probe the network again.
 * - 1xx as a final answer and every other 4xx: permanent, the request itself was refused and the
 *   same request will be refused again; unless the policy has `retryClientErrors` (receivers that
 *   answer 4xx while misconfigured or deploying, as Cryptr and Virtuous assume), then retry.
 * - A status outside 100..599 is not HTTP: retried like an invalid response.
 */
export function classify(outcome: Outcome, policy: RetryPolicy): Classification {
  switch (outcome.kind) {
    case 'blocked':
      return 'permanent';
    case 'timeout':
    case 'connect_refused':
    case 'connect_reset':
    case 'dns':
    case 'tls':
    case 'invalid_response':
      return 'retry';
    case 'http':
      return classifyStatus(outcome.status, policy);
  }
}

function classifyStatus(status: number, policy: RetryPolicy): Classification {
  if (!Number.isInteger(status) || status < 100 || status > 599) return 'retry';
  if (status >= 200 && status <= 299) return 'delivered';
  if (status === 410) return policy.on410 === 'permanent' ? 'permanent' : 'cancel';
  if (status >= 500 || RETRYABLE_CLIENT_STATUSES.has(status)) return 'retry';
  if (status >= 300 && status <= 399) return 'retry';
  return policy.retryClientErrors ? 'retry' : 'permanent';
}

/** A short human description of an outcome, for attempt records, dead-letter reasons and alerts. */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'http':
      return `HTTP ${outcome.status}`;
    case 'timeout':
      return 'timeout';
    case 'connect_refused':
      return 'connection refused';
    case 'connect_reset':
      return 'connection reset';
    case 'dns':
      return 'DNS failure';
    case 'tls':
      return 'TLS error';
    case 'invalid_response':
      return 'invalid response';
    case 'blocked':
      return 'target address blocked';
  }
}
