/**
 * Isolation between endpoints: the rules of the two delivery lanes (lib/spec.ts LANE_SPEC), pure.
 *
 * An SQS batch ends when its slowest record ends, so one hanging endpoint would hold every fast batch it appears in
 * for its whole timeout, and with the concurrency cap, everyone's deliveries behind them. On the fast lane a POST
 * may therefore take at most the lane's patience. One that takes longer is not an attempt: the request is given up,
 * the record is handed to the slow lane (where the endpoint's own timeout applies and the attempt is made and
 * counted), and the endpoint is marked slow, so its next records go straight to the slow lane without a POST on the
 * fast one. A fast answer on the slow lane clears the mark; so does time.
 *
 * The cost of a hand-off: the receiver may have got the given-up request, and gets the same `webhook-id` again from
 * the slow lane. Standard Webhooks receivers dedupe on it; README says so.
 */

export type Lane = 'fast' | 'slow';

export interface LaneSettings {
  /** Longest a POST may take on the fast lane before its record is handed to the slow lane. */
  readonly patienceMs: number;
  /** How long a slow mark lasts without a fast answer to clear it. */
  readonly slowMarkMs: number;
  /** An answer on the slow lane at most this fast clears the endpoint's slow mark. */
  readonly fastAnswerMs: number;
}

/**
 * Defaults: a second of patience (a healthy receiver answers in tens of milliseconds; the issue's target for the
 * healthy endpoints' p99 is 2 s), a mark for five minutes, cleared by an answer within half the patience.
 */
export const DEFAULT_LANE_SETTINGS: LaneSettings = Object.freeze({ patienceMs: 1000, slowMarkMs: 300_000, fastAnswerMs: 500 });

/**
 * The HTTP timeout of a POST on a lane, and whether running into it hands the record over instead of recording an
 * attempt: on the fast lane the patience, when it is shorter than the endpoint's own timeout.
 */
export function laneTimeout(lane: Lane, endpointTimeoutMs: number, settings: LaneSettings): { timeoutMs: number; handOff: boolean } {
  if (lane === 'fast' && settings.patienceMs < endpointTimeoutMs) return { timeoutMs: settings.patienceMs, handOff: true };
  return { timeoutMs: endpointTimeoutMs, handOff: false };
}

/**
 * What an answer says about the endpoint's slow mark.
 * - A hand-off (the fast lane's patience ran out) marks it until `now + slowMarkMs`.
 * - An answer on the slow lane within `fastAnswerMs` clears it.
 * - Anything else leaves it as it is.
 */
export function slowMarkAfter(
  input: { readonly lane: Lane; readonly handedOff: boolean; readonly timedOut: boolean; readonly latencyMs: number; readonly now: number },
  settings: LaneSettings,
): { kind: 'mark'; until: number } | { kind: 'clear' } | { kind: 'none' } {
  if (input.handedOff) return { kind: 'mark', until: input.now + settings.slowMarkMs };
  if (input.lane === 'slow' && !input.timedOut && input.latencyMs <= settings.fastAnswerMs) return { kind: 'clear' };
  return { kind: 'none' };
}

/** Whether a record of an endpoint marked slow until `slowUntil` leaves the fast lane before any POST. */
export function leavesFastLane(lane: Lane, slowUntil: number | undefined, now: number): boolean {
  return lane === 'fast' && slowUntil !== undefined && now < slowUntil;
}
