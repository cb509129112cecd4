/**
 * The per-endpoint rate limit (`rateLimitPerSecond`): a generic cell rate algorithm (GCRA), pure.
 *
 * The state is one number per endpoint, the theoretical arrival time `tat`: when the sender would be "caught up"
 * if every admitted send had been spaced exactly `1 / limit` seconds apart. A send is admitted when
 * `max(tat, now) - now <= burst`, and advances `tat` by one interval. So sends are spaced one interval apart on
 * average, with at most `burst` of slack, and any span of `L` ms contains at most
 * `1 + floor((L + burst) × limit / 1000)` admitted sends.
 *
 * The promise, measured at the receiver, is: over any 10 s window, at most the limit × 10 plus 10 %. A request
 * arrives a little after it was admitted (the time to open the connection and send), and arrival delays differ,
 * so a 10 s window at the receiver covers up to 10 s plus that spread of admissions. With `burst` = 500 ms and a
 * spread under 400 ms, a 10 s window holds at most `1 + floor(10.9 × limit)` requests, which is at most
 * `11 × limit` for every limit ≥ 1. The worker admits a send right before it POSTs, so the spread is the
 * network's, not the queue's.
 *
 * What is not admitted waits (it goes back to the queue with a delay until {@link RateAdmission.retryAt}); it is
 * never failed and uses no attempt.
 */

/** The stored limiter state of one endpoint. */
export interface RateState {
  /** Theoretical arrival time, epoch ms. */
  readonly tat: number;
}

/** Ranges of an endpoint's `rateLimitPerSecond`. */
export const RATE_LIMIT_LIMITS = { min: 1, max: 10_000 } as const;

/** Slack allowed ahead of the even spacing; see the module comment for why 500 ms keeps the 10 % promise. */
export const RATE_BURST_MS = 500;

export interface RateAdmission {
  /** How many of the requested sends may go now (0 … requested). */
  readonly admitted: number;
  /** The state after the admitted sends; save it (conditionally on the old one) before sending. */
  readonly state: RateState;
  /** When the next send would be admitted; the rest wait until then. Equals `now` when all were admitted. */
  readonly retryAt: number;
}

/**
 * Admits up to `requested` sends to an endpoint limited to `limitPerSecond`, at `now`.
 *
 * With no state yet (or a state far in the past) the limiter starts idle: `tat` = `now`, so a first burst of
 * `1 + burst × limit / 1000` sends goes at once and the rest follow one interval apart.
 */
export function admitSends(
  state: RateState | undefined,
  requested: number,
  limitPerSecond: number,
  now: number,
  burstMs: number = RATE_BURST_MS,
): RateAdmission {
  const interval = 1000 / limitPerSecond;
  let tat = Math.max(state?.tat ?? now, now);
  let admitted = 0;
  while (admitted < requested && tat - now <= burstMs) {
    tat += interval;
    admitted += 1;
  }
  // The next send is admitted once tat - t <= burst, i.e. at t = tat - burst.
  const retryAt = admitted === requested ? now : Math.max(now, Math.ceil(tat - burstMs));
  return { admitted, state: { tat }, retryAt };
}

/**
 * The most sends a limiter admits within any span of `spanMs`, the bound the module comment states: used by the
 * tests and the README to show the 10 % promise holds for a limit.
 */
export function maxSendsInSpan(limitPerSecond: number, spanMs: number, burstMs: number = RATE_BURST_MS): number {
  return 1 + Math.floor(((spanMs + burstMs) * limitPerSecond) / 1000);
}

/** Validates an endpoint's `rateLimitPerSecond`: an integer from 1 to 10000 (`null` removes it on update). */
export function rateLimitProblem(input: unknown): string | undefined {
  const { min, max } = RATE_LIMIT_LIMITS;
  if (typeof input === 'number' && Number.isInteger(input) && input >= min && input <= max) return undefined;
  return `must be an integer from ${min} to ${max} requests per second (got ${JSON.stringify(input) ?? 'nothing'})`;
}
