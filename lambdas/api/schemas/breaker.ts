/**
 * An endpoint's circuit breaker and rate limit: what a client sets (`circuitBreaker`, `rateLimitPerSecond`) and
 * how the API shows the circuit (`circuit`).
 */
import * as z from 'zod';
import { CIRCUIT_LIMITS } from '../../core/circuit';
import { RATE_LIMIT_LIMITS } from '../../core/rate-limit';
import { optionalTimeSchema } from './fields';
import { rule, strictObject } from './zod-issues';

const intRange = (range: { readonly min: number; readonly max: number }, unit = '') => {
  const r = rule(`must be an integer from ${range.min} to ${range.max}${unit}`);
  return z.number(r).int(r).min(range.min, r).max(range.max, r);
};

const CIRCUIT_TEXT = 'must be false or an object with failureThreshold and/or probeIntervalSeconds';

/** `false` (no breaker: every delivery follows its own retry schedule) or the endpoint's own settings. */
export const circuitBreakerInputSchema = z
  .union(
    [
      z.literal(false),
      strictObject(
        {
          failureThreshold: intRange(CIRCUIT_LIMITS.failureThreshold)
            .optional()
            .meta({ description: 'Consecutive failed attempts (retryable verdicts, timeouts included) that open the circuit.' }),
          probeIntervalSeconds: intRange(CIRCUIT_LIMITS.probeIntervalSeconds)
            .optional()
            .meta({ description: 'Time between probes while the circuit is open: one real parked delivery is sent.' }),
        },
        CIRCUIT_TEXT,
      ),
    ],
    rule(CIRCUIT_TEXT),
  )
  .meta({
    description:
      "The endpoint's circuit breaker over the deployment's (HERALD_BREAKER_FAILURE_THRESHOLD, HERALD_BREAKER_PROBE_SECONDS); " +
      'false for none (each delivery follows its retry schedule, as the seed presets define it).',
    examples: [{ failureThreshold: 5, probeIntervalSeconds: 60 }, false],
  });

/** Requests per second; over any 10 s window the receiver sees at most 10 × this plus 10 %. */
export const rateLimitSchema = intRange(RATE_LIMIT_LIMITS, ' requests per second').meta({
  description: 'At most this many requests per second to the endpoint (over any 10 s window, 10 × this plus 10 %). Excess deliveries wait; they are not failed.',
  examples: [50],
});

/** The circuit as GET /v1/endpoints/{id} and the lists show it. */
export const circuitViewSchema = z
  .object({
    enabled: z.boolean().meta({ description: 'false when the endpoint has circuitBreaker: false.' }),
    state: z.enum(['closed', 'open', 'half_open']).meta({ description: 'closed: deliveries are sent; open: they are parked; half_open: one probe is in flight.' }),
    since: optionalTimeSchema.meta({ description: 'When the circuit opened; null while closed.' }),
    reason: z.string().nullable().meta({ description: 'Why it opened (the last failure); null while closed.' }),
    nextProbeAt: optionalTimeSchema.meta({ description: 'Open: when the next probe is sent. Half-open: when the running probe counts as lost. Null while closed.' }),
    consecutiveFailures: z.number().int().min(0).nullable().meta({ description: 'Failed attempts in a row while closed; null otherwise.' }),
    parked: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: 'Deliveries parked (waiting for the circuit to close); only on GET /v1/endpoints/{id}.' }),
  })
  .meta({ id: 'Circuit', title: 'Circuit' });
