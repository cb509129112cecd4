/**
 * The failure class of an attempt's outcome, for the `Failed` metric.
 */
import type { Outcome } from './model';

/**
 * Why an attempt failed. The six classes of issue 14 plus the two outcomes that are none of them: a redirect
 * (3xx, not followed) and an invalid HTTP response.
 */
export const FAILURE_CLASSES = ['http_4xx', 'http_5xx', 'timeout', 'connect', 'tls', 'blocked', 'http_3xx', 'invalid_response'] as const;

export type FailureClass = (typeof FAILURE_CLASSES)[number];

/**
 * Maps a failed attempt's outcome to its class: HTTP answers by their hundred (a status outside 100..599, like a
 * malformed answer, is `invalid_response`); a refused or reset connection and a DNS failure are all `connect`
 * (the receiver could not be reached); timeout, TLS and blocked are their own. A 2xx is not a failure:
 * undefined.
 */
export function failureClass(outcome: Outcome): FailureClass | undefined {
  switch (outcome.kind) {
    case 'timeout':
      return 'timeout';
    case 'connect_refused':
    case 'connect_reset':
    case 'dns':
      return 'connect';
    case 'tls':
      return 'tls';
    case 'blocked':
      return 'blocked';
    case 'invalid_response':
      return 'invalid_response';
    case 'http': {
      const s = outcome.status;
      if (!Number.isInteger(s) || s < 100 || s > 599) return 'invalid_response';
      if (s >= 200 && s <= 299) return undefined;
      if (s >= 500) return 'http_5xx';
      if (s >= 400) return 'http_4xx';
      if (s >= 300) return 'http_3xx';
      return 'invalid_response';
    }
  }
}
