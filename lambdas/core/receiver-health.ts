/**
 * Virtuous's two receiver metrics as warnings: an endpoint whose responses are getting slow (p95 response time
 * close to its timeout) or whose non-2xx rate is above a baseline. Pure: the caller passes the attempts.
 */
import type { Attempt } from './model';

/** The window the warnings look at: the last hour. */
export const RECEIVER_WINDOW_MS = 3600 * 1000;
/** The p95 warning fires when the p95 response time passes this share of the endpoint's timeout. */
export const SLOW_SHARE_OF_TIMEOUT = 0.8;
/** The default baseline of the non-2xx rate (5 %). */
export const DEFAULT_NON_2XX_BASELINE = 0.05;
/** Fewer attempts than this in the window say nothing about a rate: no rate warning. */
export const MIN_ATTEMPTS_FOR_RATE = 20;

export type ReceiverWarning =
  | { readonly kind: 'slow'; readonly p95LatencyMs: number; readonly thresholdMs: number; readonly message: string }
  | { readonly kind: 'non_2xx_rate'; readonly rate: number; readonly baseline: number; readonly message: string };

export interface ReceiverHealth {
  readonly attempts: number;
  readonly p95LatencyMs: number | null;
  /** Share of the window's attempts not answered with a 2xx (timeouts and refused connections included). */
  readonly non2xxRate: number | null;
  readonly warnings: readonly ReceiverWarning[];
}

/** Nearest-rank percentile of `values` (0 < p <= 100); null for an empty list. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/**
 * The receiver metrics of the attempts that started in the hour before `now`, and the warnings they raise:
 * - `slow` when the p95 response time passes {@link SLOW_SHARE_OF_TIMEOUT} of the endpoint's timeout (the receiver
 *   is about to time out, which under a policy like Cryptr's ends deliveries);
 * - `non_2xx_rate` when the share of attempts not answered with a 2xx passes `baseline`, counted only over at least
 *   {@link MIN_ATTEMPTS_FOR_RATE} attempts (two failures out of three say nothing yet).
 */
export function receiverHealth(input: {
  readonly attempts: readonly Pick<Attempt, 'startedAt' | 'latencyMs' | 'outcome'>[];
  readonly now: number;
  readonly timeoutMs: number;
  readonly baseline?: number;
}): ReceiverHealth {
  const baseline = input.baseline ?? DEFAULT_NON_2XX_BASELINE;
  const recent = input.attempts.filter((a) => a.startedAt > input.now - RECEIVER_WINDOW_MS && a.startedAt <= input.now);
  const failed = recent.filter((a) => !(a.outcome.kind === 'http' && a.outcome.status >= 200 && a.outcome.status < 300)).length;
  const p95 = percentile(
    recent.map((a) => a.latencyMs),
    95,
  );
  const non2xxRate = recent.length === 0 ? null : failed / recent.length;
  const warnings: ReceiverWarning[] = [];
  const thresholdMs = Math.round(input.timeoutMs * SLOW_SHARE_OF_TIMEOUT);
  if (p95 !== null && p95 > thresholdMs) {
    warnings.push({
      kind: 'slow',
      p95LatencyMs: p95,
      thresholdMs,
      message: `p95 response time over the last hour is ${p95} ms, above 80 % of the ${input.timeoutMs} ms timeout`,
    });
  }
  if (non2xxRate !== null && recent.length >= MIN_ATTEMPTS_FOR_RATE && non2xxRate > baseline) {
    warnings.push({
      kind: 'non_2xx_rate',
      rate: non2xxRate,
      baseline,
      message: `${(non2xxRate * 100).toFixed(1)} % of the last hour’s ${recent.length} attempts were not answered with a 2xx (baseline ${(baseline * 100).toFixed(1)} %)`,
    });
  }
  return { attempts: recent.length, p95LatencyMs: p95, non2xxRate, warnings };
}

/** What an endpoint's stored warning state says: degraded since when, and why (absent while it is not). */
export interface DegradedState {
  readonly since: number;
  readonly reason: string;
}

/** Fewer attempts than this in the window cannot clear a warning: one fast success after an outage says little. */
export const MIN_ATTEMPTS_TO_RECOVER = 5;

/**
 * The change of an endpoint's warning state that its last hour's receiver metrics call for:
 * - `degraded` when the metrics raise a warning and the endpoint is not marked degraded yet (the reason joins the
 *   warnings' messages);
 * - `recovered` when it is marked degraded, the metrics raise no warning, and the window holds at least
 *   {@link MIN_ATTEMPTS_TO_RECOVER} attempts;
 * - `none` otherwise: a warning already raised is not raised again while it lasts, which is what keeps the alert
 *   to one per episode.
 */
export function degradedStep(
  current: DegradedState | undefined,
  health: ReceiverHealth,
): { readonly kind: 'none' } | { readonly kind: 'degraded'; readonly reason: string } | { readonly kind: 'recovered' } {
  if (health.warnings.length > 0) {
    return current === undefined ? { kind: 'degraded', reason: health.warnings.map((w) => w.message).join('; ') } : { kind: 'none' };
  }
  return current !== undefined && health.attempts >= MIN_ATTEMPTS_TO_RECOVER ? { kind: 'recovered' } : { kind: 'none' };
}
