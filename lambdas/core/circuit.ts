/**
 * The circuit breaker of one endpoint: a pure state machine. The worker loads the endpoint's circuit once per
 * batch, folds every event of the batch through {@link stepCircuit} in order, carries out the actions and saves
 * the circuit once (conditionally) if it changed. Clock and identity of the probe are passed in, so every
 * transition is exact in tests.
 *
 * Why a breaker at all: a down endpoint retried delivery by delivery costs one POST, one write and (for long
 * waits) one Scheduler schedule per delivery per attempt, and a hanging one holds every batch it appears in for
 * its timeout. With the circuit open, its deliveries are parked instead (one write each, no message, no schedule)
 * and one real parked delivery is sent as a probe per interval, so the cost of an outage no longer grows with the
 * endpoint's traffic, and parked time uses up no attempts.
 */

/**
 * What is stored on the endpoint item as `circuit`. Times are epoch milliseconds.
 *
 * - `closed`: deliveries are sent; `failures` counts consecutive failed attempts (verdict `retry`).
 * - `open`: deliveries are parked; the next probe is due at `nextProbeAt`.
 * - `half_open`: one delivery (`probeDeliveryId`) is being sent as the probe; every other delivery is parked. If
 *   no result arrives by `probeUntil` (the worker died mid-probe), the probe is considered lost and another
 *   parked delivery may be taken as the probe.
 */
export type Circuit =
  | { readonly state: 'closed'; readonly failures: number }
  | { readonly state: 'open'; readonly since: number; readonly nextProbeAt: number; readonly reason: string }
  | {
      readonly state: 'half_open';
      readonly since: number;
      readonly probeDeliveryId: string;
      readonly probeUntil: number;
      readonly reason: string;
    };

export type CircuitState = Circuit['state'];

/** A new endpoint's circuit, and the circuit of an endpoint item written before the breaker existed. */
export const CLOSED: Circuit = Object.freeze({ state: 'closed', failures: 0 });

/** The breaker settings in force for one endpoint (the endpoint's own, else the deployment's). */
export interface CircuitSettings {
  /** `false`: no breaker; every delivery follows its retry policy's per-delivery schedule. */
  readonly enabled: boolean;
  /** Consecutive failed attempts that open the circuit. */
  readonly failureThreshold: number;
  /** Time between probes while the circuit is open. */
  readonly probeIntervalSeconds: number;
  /** How long a sent probe may take before it counts as lost (the HTTP timeout plus time to record it). */
  readonly probePatienceMs: number;
}

/** Ranges for the deployment's and an endpoint's breaker settings. */
export const CIRCUIT_LIMITS = {
  failureThreshold: { min: 1, max: 1000 },
  probeIntervalSeconds: { min: 1, max: 86_400 },
} as const;

/** Deployment defaults: 5 consecutive failures open the circuit; a probe every 60 s while open. */
export const DEFAULT_CIRCUIT = Object.freeze({ failureThreshold: 5, probeIntervalSeconds: 60 });

/**
 * How an attempt's verdict counts for the breaker.
 * - `success`: the endpoint answered 2xx.
 * - `failure`: the policy's verdict is `retry` (timeouts and refused connections included): the endpoint is not
 *   taking deliveries right now.
 * - `neutral`: any other verdict (`permanent`, `stop`, `cancel`): the endpoint answered, but about this request;
 *   it neither opens nor closes the circuit.
 */
export type AttemptVerdict = 'success' | 'failure' | 'neutral';

export type CircuitEvent =
  /** A delivery is about to be attempted: send it, park it, or send it as the probe. */
  | { readonly kind: 'dispatch'; readonly deliveryId: string; readonly now: number }
  /** An attempt finished. `reason` describes a failure (e.g. "HTTP 503", "timeout"); it becomes the open reason. */
  | {
      readonly kind: 'attempt';
      readonly deliveryId: string;
      readonly verdict: AttemptVerdict;
      readonly reason: string;
      readonly now: number;
    }
  /**
   * A probe message or the sweep asks whether a probe is due. `candidate` is the oldest parked delivery, absent
   * when none is parked.
   */
  | { readonly kind: 'probe_due'; readonly candidate?: string; readonly now: number };

export type CircuitAction =
  /** Nothing to do beyond what the caller was doing. */
  | { readonly kind: 'none' }
  /**
   * Dispatch: POST the delivery normally. `release` when this dispatch also closed a circuit that was not closed
   * (the breaker was turned off): start releasing the parked deliveries too.
   */
  | { readonly kind: 'send'; readonly release?: true }
  /** Dispatch: park the delivery (no POST, no message, no schedule). */
  | { readonly kind: 'park'; readonly reason: string }
  /**
   * Dispatch or probe_due: send this delivery as the probe. The circuit moved open → half-open; the caller must
   * save it conditionally before sending, so only one worker probes.
   */
  | { readonly kind: 'probe'; readonly deliveryId: string }
  /** probe_due: not yet; a probe message should come back at `at`. */
  | { readonly kind: 'wait'; readonly at: number }
  /**
   * Attempt: the delivery failed and the circuit is (now) not closed. Park it instead of scheduling its retry;
   * `opened` when this attempt opened the circuit (write the `OPEN` index key, send one delayed probe message).
   */
  | { readonly kind: 'park_failed'; readonly opened: boolean; readonly nextProbeAt: number; readonly reason: string }
  /** Attempt: a failed probe. The circuit is open again: park the delivery, send the next probe message. */
  | { readonly kind: 'reopened'; readonly nextProbeAt: number; readonly reason: string }
  /**
   * The circuit closed (a successful probe, any success while not closed, the breaker turned off, or nothing
   * left to probe with). Start releasing the parked deliveries, oldest first, at the bounded rate.
   */
  | { readonly kind: 'closed'; readonly release: boolean };

export interface CircuitStep {
  readonly circuit: Circuit;
  readonly action: CircuitAction;
}

/**
 * One transition of the breaker.
 *
 * | state | event | new state | action |
 * | --- | --- | --- | --- |
 * | any | dispatch, breaker disabled | closed | send (+release if it was not closed) |
 * | any | other, breaker disabled | closed | closed+release if it was not closed, else none |
 * | closed | dispatch | closed | send |
 * | closed | success | closed (0 failures) | none |
 * | closed | failure below threshold | closed (+1) | none (the retry policy applies) |
 * | closed | failure reaching threshold | open (next probe now + interval) | park_failed, opened |
 * | closed | neutral | unchanged | none |
 * | open | dispatch before the probe time | open | park |
 * | open | dispatch at/after the probe time | half_open (this delivery is the probe) | probe |
 * | open | success (an attempt started before it opened) | closed | closed+release |
 * | open | failure | open | park_failed |
 * | half_open | dispatch of the probe itself (redelivered) | half_open | send |
 * | half_open | dispatch of another, probe not lost | half_open | park |
 * | half_open | dispatch of another, probe lost | half_open (this one is the probe) | probe |
 * | half_open | success | closed | closed+release |
 * | half_open | failure of the probe | open (next probe now + interval) | reopened |
 * | half_open | failure of another | half_open | park_failed |
 * | open | probe_due, not yet | open | wait until the probe time |
 * | open | probe_due with a candidate | half_open | probe |
 * | open / lost half_open | probe_due without a candidate | closed (threshold − 1 failures) | closed, no release |
 * | half_open, probe not lost | probe_due | half_open | wait until the probe's patience ends |
 * | closed | probe_due | closed | none |
 *
 * A success while open or half-open closes the circuit whoever sent it: the endpoint is answering. Closing
 * because there is nothing to probe with leaves the count one below the threshold, so the next real delivery is
 * in effect the probe: one more failure opens the circuit again at once.
 */
export function stepCircuit(circuit: Circuit, event: CircuitEvent, settings: CircuitSettings): CircuitStep {
  if (!settings.enabled) {
    const wasOpen = circuit.state !== 'closed';
    if (event.kind === 'dispatch') return { circuit: CLOSED, action: wasOpen ? { kind: 'send', release: true } : { kind: 'send' } };
    return { circuit: CLOSED, action: wasOpen ? { kind: 'closed', release: true } : { kind: 'none' } };
  }
  switch (event.kind) {
    case 'dispatch':
      return dispatch(circuit, event.deliveryId, event.now, settings);
    case 'attempt':
      return attempt(circuit, event, settings);
    case 'probe_due':
      return probeDue(circuit, event.candidate, event.now, settings);
  }
}

function dispatch(circuit: Circuit, deliveryId: string, now: number, settings: CircuitSettings): CircuitStep {
  switch (circuit.state) {
    case 'closed':
      return { circuit, action: { kind: 'send' } };
    case 'open':
      if (now < circuit.nextProbeAt) return { circuit, action: { kind: 'park', reason: parkReason(circuit) } };
      return startProbe(circuit, deliveryId, now, settings);
    case 'half_open':
      if (deliveryId === circuit.probeDeliveryId) return { circuit, action: { kind: 'send' } };
      if (now > circuit.probeUntil) return startProbe(circuit, deliveryId, now, settings);
      return { circuit, action: { kind: 'park', reason: parkReason(circuit) } };
  }
}

function attempt(
  circuit: Circuit,
  event: Extract<CircuitEvent, { kind: 'attempt' }>,
  settings: CircuitSettings,
): CircuitStep {
  const { verdict, now } = event;
  if (verdict === 'neutral') return { circuit, action: { kind: 'none' } };
  if (verdict === 'success') {
    if (circuit.state === 'closed') {
      return { circuit: circuit.failures === 0 ? circuit : CLOSED, action: { kind: 'none' } };
    }
    return { circuit: CLOSED, action: { kind: 'closed', release: true } };
  }
  const reason = event.reason;
  switch (circuit.state) {
    case 'closed': {
      const failures = circuit.failures + 1;
      if (failures < settings.failureThreshold) return { circuit: { state: 'closed', failures }, action: { kind: 'none' } };
      const nextProbeAt = now + settings.probeIntervalSeconds * 1000;
      const why = `${failures} consecutive failed attempts, last: ${reason}`;
      return {
        circuit: { state: 'open', since: now, nextProbeAt, reason: why },
        action: { kind: 'park_failed', opened: true, nextProbeAt, reason: why },
      };
    }
    case 'open':
      return {
        circuit,
        action: { kind: 'park_failed', opened: false, nextProbeAt: circuit.nextProbeAt, reason: circuit.reason },
      };
    case 'half_open': {
      if (event.deliveryId !== circuit.probeDeliveryId) {
        return {
          circuit,
          action: { kind: 'park_failed', opened: false, nextProbeAt: circuit.probeUntil, reason: circuit.reason },
        };
      }
      const nextProbeAt = now + settings.probeIntervalSeconds * 1000;
      const why = `probe failed: ${reason}`;
      return {
        circuit: { state: 'open', since: circuit.since, nextProbeAt, reason: why },
        action: { kind: 'reopened', nextProbeAt, reason: why },
      };
    }
  }
}

function probeDue(circuit: Circuit, candidate: string | undefined, now: number, settings: CircuitSettings): CircuitStep {
  switch (circuit.state) {
    case 'closed':
      return { circuit, action: { kind: 'none' } };
    case 'open':
      if (now < circuit.nextProbeAt) return { circuit, action: { kind: 'wait', at: circuit.nextProbeAt } };
      break;
    case 'half_open':
      if (now <= circuit.probeUntil) return { circuit, action: { kind: 'wait', at: circuit.probeUntil + 1 } };
      break;
  }
  if (candidate === undefined) {
    return {
      circuit: { state: 'closed', failures: Math.max(0, settings.failureThreshold - 1) },
      action: { kind: 'closed', release: false },
    };
  }
  return startProbe(circuit, candidate, now, settings);
}

function startProbe(
  circuit: Extract<Circuit, { state: 'open' | 'half_open' }>,
  deliveryId: string,
  now: number,
  settings: CircuitSettings,
): CircuitStep {
  return {
    circuit: {
      state: 'half_open',
      since: circuit.since,
      probeDeliveryId: deliveryId,
      probeUntil: now + settings.probePatienceMs,
      reason: circuit.reason,
    },
    action: { kind: 'probe', deliveryId },
  };
}

function parkReason(circuit: Extract<Circuit, { state: 'open' | 'half_open' }>): string {
  return `circuit open since ${new Date(circuit.since).toISOString()}: ${circuit.reason}`;
}

/**
 * When the next probe is expected, for the API and the console: the probe time while open, the end of the
 * probe's patience while half-open, nothing while closed.
 */
export function nextProbeTime(circuit: Circuit): number | undefined {
  switch (circuit.state) {
    case 'closed':
      return undefined;
    case 'open':
      return circuit.nextProbeAt;
    case 'half_open':
      return circuit.probeUntil;
  }
}

/**
 * Reads a stored circuit defensively: an endpoint item written before the breaker existed, or one whose
 * `circuit` is malformed, counts as closed with no failures rather than failing the batch.
 */
export function parseCircuit(raw: unknown): Circuit {
  if (typeof raw !== 'object' || raw === null) return CLOSED;
  const value = raw as Record<string, unknown>;
  const num = (key: string): number | undefined =>
    typeof value[key] === 'number' && Number.isFinite(value[key]) ? (value[key] as number) : undefined;
  const str = (key: string): string | undefined => (typeof value[key] === 'string' ? (value[key] as string) : undefined);
  switch (value.state) {
    case 'closed': {
      const failures = num('failures');
      return failures !== undefined && failures >= 0 ? { state: 'closed', failures: Math.floor(failures) } : CLOSED;
    }
    case 'open': {
      const since = num('since');
      const nextProbeAt = num('nextProbeAt');
      if (since === undefined || nextProbeAt === undefined) return CLOSED;
      return { state: 'open', since, nextProbeAt, reason: str('reason') ?? '' };
    }
    case 'half_open': {
      const since = num('since');
      const probeUntil = num('probeUntil');
      const probeDeliveryId = str('probeDeliveryId');
      if (since === undefined || probeUntil === undefined || probeDeliveryId === undefined) return CLOSED;
      return { state: 'half_open', since, probeDeliveryId, probeUntil, reason: str('reason') ?? '' };
    }
    default:
      return CLOSED;
  }
}

/** An endpoint's own breaker settings as the API takes them: each field optional, or `false` for no breaker. */
export type CircuitBreakerInput = false | { readonly failureThreshold?: number; readonly probeIntervalSeconds?: number };

/**
 * Validates an endpoint's `circuitBreaker`: `false`, or an object with optional integer `failureThreshold`
 * (1–1000) and `probeIntervalSeconds` (1–86400) and nothing else. Problems are reported with their path, all at
 * once, as the retry policy's are.
 */
export function validateCircuitBreakerInput(
  input: unknown,
  path = 'circuitBreaker',
): { ok: true; value: CircuitBreakerInput } | { ok: false; error: { path: string; message: string }[] } {
  if (input === false) return { ok: true, value: false };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: [{ path, message: 'must be false or an object with failureThreshold and/or probeIntervalSeconds' }] };
  }
  const issues: { path: string; message: string }[] = [];
  const value: { failureThreshold?: number; probeIntervalSeconds?: number } = {};
  for (const [key, field] of Object.entries(input as Record<string, unknown>)) {
    if (key !== 'failureThreshold' && key !== 'probeIntervalSeconds') {
      issues.push({ path: `${path}.${key}`, message: 'unknown field; allowed: failureThreshold, probeIntervalSeconds' });
      continue;
    }
    const { min, max } = CIRCUIT_LIMITS[key];
    if (typeof field !== 'number' || !Number.isInteger(field) || field < min || field > max) {
      issues.push({ path: `${path}.${key}`, message: `must be an integer from ${min} to ${max} (got ${JSON.stringify(field) ?? 'nothing'})` });
      continue;
    }
    value[key] = field;
  }
  return issues.length > 0 ? { ok: false, error: issues } : { ok: true, value };
}

/**
 * The breaker settings in force for an endpoint: its own `circuitBreaker` over the deployment's defaults. A probe
 * counts as lost after the endpoint's HTTP timeout plus `finishMarginMs` (time to record the attempt).
 */
export function circuitSettingsFor(
  input: CircuitBreakerInput | undefined,
  defaults: { readonly failureThreshold: number; readonly probeIntervalSeconds: number },
  timeoutMs: number,
  finishMarginMs: number,
): CircuitSettings {
  const own = input === false || input === undefined ? {} : input;
  return {
    enabled: input !== false,
    failureThreshold: own.failureThreshold ?? defaults.failureThreshold,
    probeIntervalSeconds: own.probeIntervalSeconds ?? defaults.probeIntervalSeconds,
    probePatienceMs: timeoutMs + finishMarginMs,
  };
}
