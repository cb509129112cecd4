/**
 * Response classification: what one attempt's outcome means for the delivery, read from the policy's
 * classification table.
 */
import type { Classified, Outcome, OutcomeClass, RetryPolicy } from './model';

/**
 * The class of a failed outcome, or `delivered` for a 2xx.
 *
 * - refused and reset connections are `connect`; a status outside 100..599 (or not an integer) is not
 *   HTTP and is an `invalidResponse`;
 * - 3xx is `redirect`: redirects are not followed (a redirect could point at an internal address and a
 *   webhook URL should be the final one), so a redirect is a failed attempt;
 * - 5xx is `serverError`; 4xx is `clientError`, and so is a final 1xx (a receiver that never answers
 *   with a final status refused the request as surely as a 4xx does).
 */
export function outcomeClass(outcome: Outcome): OutcomeClass | 'delivered' {
  switch (outcome.kind) {
    case 'timeout':
    case 'dns':
    case 'tls':
    case 'blocked':
      return outcome.kind;
    case 'connect_refused':
    case 'connect_reset':
      return 'connect';
    case 'invalid_response':
      return 'invalidResponse';
    case 'http': {
      const status = outcome.status;
      if (!Number.isInteger(status) || status < 100 || status > 599) return 'invalidResponse';
      if (status >= 200 && status <= 299) return 'delivered';
      if (status >= 300 && status <= 399) return 'redirect';
      if (status >= 500) return 'serverError';
      return 'clientError';
    }
  }
}

/**
 * Maps an attempt's outcome to `delivered` or the policy's verdict for it: a per-status entry
 * (`classification.statuses["410"]`) wins over the verdict of the status's class. The default table
 * ({@link DEFAULT_CLASSIFICATION} in policy.ts) retries transport failures, 3xx, 5xx, 408, 425 and 429,
 * cancels on 410 and makes other 4xx and `blocked` permanent.
 */
export function classify(outcome: Outcome, policy: RetryPolicy): Classified {
  const cls = outcomeClass(outcome);
  if (cls === 'delivered') return 'delivered';
  const table = policy.classification;
  if (outcome.kind === 'http' && cls !== 'invalidResponse') {
    const byStatus = table.statuses[String(outcome.status)];
    if (byStatus !== undefined) return byStatus;
  }
  return table[cls];
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
