/**
 * Retry policies: the built-in default, the presets and the
 * merge that turns layers of partial input into one complete {@link RetryPolicy}.
 */
import { parseDuration } from './duration';
import { type ErrorDetail, ValidationError } from './errors';
import {
  type Classification,
  type ClassificationInput,
  type Jitter,
  NO_RESPONSE_CLASSES,
  NO_RESPONSE_VERDICTS,
  type On410,
  OUTCOME_CLASSES,
  type OutcomeClass,
  type RetryPolicy,
  type RetryPolicyInput,
  type Verdict,
  VERDICTS,
} from './model';

/** Ranges enforced by the retry policy schema (lambdas/api/schemas/retry-policy.ts). Seven days is the longest single wait. */
export const POLICY_LIMITS = {
  maxAttempts: { min: 1, max: 50 },
  baseSeconds: { min: 1, max: 86_400 },
  maxDelaySeconds: { min: 1, max: 604_800 },
  maxAgeSeconds: { min: 60, max: 2_592_000 },
  delays: { minItems: 1, maxItems: 20, minSeconds: 0, maxSeconds: 604_800 },
  retryAfterMinSeconds: { min: 0, max: 604_800 },
  retryAfterMaxSeconds: { min: 1, max: 604_800 },
  retryAfterStatuses: { maxItems: 50, min: 100, max: 599 },
  classificationStatuses: { maxItems: 50 },
} as const;

export const JITTERS: readonly Jitter[] = ['full', 'equal', 'none'];
export const ON410_VALUES: readonly On410[] = ['cancel', 'cancel_and_disable', 'permanent', 'retry'];

/**
 * The generic strategy's table: transport failures, 3xx and 5xx retry; 4xx are permanent except 408, 425 and
 * 429 (temporary by definition), which retry, and 410 Gone, which cancels (the receiver says the endpoint no
 * longer exists, so retrying is pointless and rude). `blocked` (the target resolved to an address the target
 * rules forbid) is permanent: waiting will not make the address allowed, and retrying would only probe the
 * network again.
 */
export const DEFAULT_CLASSIFICATION: Classification = deepFreeze({
  timeout: 'retry',
  connect: 'retry',
  dns: 'retry',
  tls: 'retry',
  invalidResponse: 'retry',
  blocked: 'permanent',
  redirect: 'retry',
  serverError: 'retry',
  clientError: 'permanent',
  statuses: { '408': 'retry', '425': 'retry', '410': 'cancel', '429': 'retry' },
});

/** A complete table: {@link DEFAULT_CLASSIFICATION} with some classes and statuses changed. */
function table(changes: ClassificationInput): Classification {
  return { ...DEFAULT_CLASSIFICATION, ...changes, statuses: { ...DEFAULT_CLASSIFICATION.statuses, ...changes.statuses } };
}

/**
 * The generic exponential-with-jitter policy, used when neither the endpoint nor the deployment
 * says otherwise (the same as preset `default`). It rides out a day-long outage of a receiver on its
 * own, without the circuit breaker's help (Svix retries for about 27.6 h, Stripe for 3 days).
 *
 * 15 attempts. After attempt n the next waits uniformly in [cap(n)/2, cap(n)] (equal jitter) with
 * cap(n) = min(30 s × 2^(n-1), 12 h): caps 30 s, 1 m, 2 m, 4 m, 8 m, 16 m, 32 m, 1 h 4 m, 2 h 8 m,
 * 4 h 16 m, 8 h 32 m, 12 h, 12 h, 12 h. So the last attempt comes between 26 h 31 m 45 s and
 * 53 h 3 m 30 s after the first: never less than a day, whatever the jitter draws, and inside the
 * 3-day maximum age. Equal jitter rather than full, because full jitter can draw every wait near zero
 * and give up within minutes. 408, 425, 429, 5xx, 3xx and transport failures retry; other 4xx are
 * permanent; 410 cancels; `Retry-After` on 429 and 503 is honoured within [1 s, 24 h]. Nothing is
 * retried more than 3 days after acceptance.
 */
export const DEFAULT_POLICY: RetryPolicy = deepFreeze({
  backoff: { baseSeconds: 30, maxDelaySeconds: 43_200, jitter: 'equal' },
  maxAttempts: 15,
  maxAgeSeconds: 259_200,
  retryAfter: { statuses: [429, 503], minSeconds: 1, maxSeconds: 86_400 },
  classification: DEFAULT_CLASSIFICATION,
  autoDisable: true,
});

/**
 * Named policies reproducing the systems Herald learned from. Each sets every field that shapes its
 * schedule and its whole classification table, so a preset behaves the same whatever the deployment's
 * default is. Times below are from the first attempt, which is made as soon as the event is accepted.
 * README's preset table maps every row of each source document to what the preset does.
 *
 * - `default`: {@link DEFAULT_POLICY}, the generic strategy: 4xx except 408/425/429 permanent,
 *   exponential backoff with equal jitter (caps 30 s doubling to 12 h), 15 attempts over 26.5 h to
 *   53 h, 3 days at most, then dead-letter and alert.
 * - `cryptr` (Cryptr's "delivery attempts" and "set up" pages): attempts at 0, +5 m, +15 m, +35 m,
 *   +1 h 35 m, +3 h 35 m (the page's table read as gaps between attempts: 5 m, 10 m, 20 m, 1 h, 2 h; 6
 *   attempts). Every answered failure (3xx, 4xx, 5xx) follows that schedule; 410 cancels; `Retry-After` on 429
 *   and 503 replaces the next delay (so `503` + `retry-after: 60` retries after 60 s), within [1 s, 24 h].
 *   No answer (timeout, refused or reset connection, DNS, TLS, invalid response) stops at once: "If we don't
 *   get a response or if we don't get it in time, we'll assume your endpoint doesn't exist and won't send the
 *   event again." Maximum age 1 day.
 * - `dashboard`: attempts at 0 (immediately), +30 s, +1 h 0 m 30 s, +7 h 0 m 30 s, +19 h 0 m 30 s,
 *   +43 h 0 m 30 s (the table read as gaps: 30 s, 1 h, 6 h, 12 h, 24 h; 6 attempts). Redirects, 4xx (410
 *   included: the document excepts none), 5xx, TLS errors, timeouts and unreachable hosts are all failures and
 *   retried; `Retry-After` is ignored so the schedule is exactly the one above; redelivery by hand afterwards
 *   (retry and recover routes). Maximum age 2 days.
 * - `virtuous`: every failure retried (4xx with 410 included, 5xx, timeouts, unreachable) with growing gaps:
 *   after attempt n the next waits uniformly in [cap/2, cap] (equal jitter) with cap = min(60 s × 2^(n-1),
 *   4 h): caps 1 m, 2 m, 4 m, 8 m, 16 m, 32 m, 1 h 4 m, 2 h 8 m, 4 h; 10 attempts, so the last comes between
 *   4 h 7 m 30 s and 8 h 15 m after the first. `Retry-After` on 429 and 503 honoured within [1 s, 24 h];
 *   maximum age 2 days. `autoDisable` is off: Virtuous leaves the subscription active and recovers by itself.
 */
export const PRESETS: Readonly<Record<string, RetryPolicyInput>> = deepFreeze({
  default: {
    backoff: { ...DEFAULT_POLICY.backoff },
    maxAttempts: DEFAULT_POLICY.maxAttempts,
    maxAgeSeconds: DEFAULT_POLICY.maxAgeSeconds,
    retryAfter: { ...DEFAULT_POLICY.retryAfter, statuses: [...DEFAULT_POLICY.retryAfter.statuses] },
    classification: table({}),
    autoDisable: true,
  },
  cryptr: {
    delays: ['5m', '10m', '20m', '1h', '2h'],
    maxAgeSeconds: 86_400,
    retryAfter: { statuses: [429, 503], minSeconds: 1, maxSeconds: 86_400 },
    classification: table({
      timeout: 'stop',
      connect: 'stop',
      dns: 'stop',
      tls: 'stop',
      invalidResponse: 'stop',
      clientError: 'retry',
    }),
    autoDisable: true,
  },
  dashboard: {
    delays: ['30s', '1h', '6h', '12h', '24h'],
    maxAgeSeconds: 172_800,
    retryAfter: { statuses: [], minSeconds: 1, maxSeconds: 86_400 },
    classification: table({ clientError: 'retry', statuses: { '410': 'retry' } }),
    autoDisable: true,
  },
  virtuous: {
    backoff: { baseSeconds: 60, maxDelaySeconds: 14_400, jitter: 'equal' },
    maxAttempts: 10,
    maxAgeSeconds: 172_800,
    retryAfter: { statuses: [429, 503], minSeconds: 1, maxSeconds: 86_400 },
    classification: table({ clientError: 'retry', statuses: { '410': 'retry' } }),
    autoDisable: false,
  },
});

/**
 * Builds the complete policy an endpoint's deliveries follow.
 *
 * Layers, lowest first, each overriding the fields it sets (`backoff` and `retryAfter` field by
 * field): {@link DEFAULT_POLICY}; the deployment default's preset; the deployment default; the
 * input's preset; the input. So an endpoint that names a preset gets that preset's schedule
 * whatever the deployment default is, and can still change single fields of it.
 *
 * Schedule kind: the highest layer that sets `delays` or `backoff` decides. A layer setting `delays`
 * selects the fixed list; a layer setting only `backoff` selects backoff and drops delays inherited
 * from below (`{"preset": "cryptr", "backoff": {...}}` means "like Cryptr, but with backoff"). With
 * a fixed list, `maxAttempts` is `delays.length + 1` and durations are converted to seconds.
 *
 * Both inputs must already be valid (checked where they enter: the API's retry policy schema,
 * lambdas/api/schemas/retry-policy.ts, and the config parser); this only merges and checks the merge.
 *
 * @throws ValidationError when the merged policy is inconsistent (e.g. an inherited `maxDelaySeconds`
 *   below the input's `baseSeconds`, or a `maxAgeSeconds` shorter than the delays); the API calls this
 *   when an endpoint is saved, so these surface as 400s there
 */
export function resolvePolicy(input: RetryPolicyInput | undefined, deploymentDefault?: RetryPolicyInput): RetryPolicy {
  const layers: Layer[] = [];
  if (deploymentDefault !== undefined) layers.push(...withPreset(deploymentDefault));
  if (input !== undefined) layers.push(...withPreset(input));

  let delays: number[] | undefined;
  let backoff = { ...DEFAULT_POLICY.backoff };
  let retryAfter = { ...DEFAULT_POLICY.retryAfter };
  let { maxAttempts, maxAgeSeconds, autoDisable } = DEFAULT_POLICY;
  let classification: Classification = DEFAULT_POLICY.classification;
  for (const { input: layer, preset } of layers) {
    if (layer.delays !== undefined) {
      delays = layer.delays.map((d) => parseDuration(d) ?? 0);
    } else if (layer.backoff !== undefined) {
      delays = undefined;
    }
    if (layer.backoff !== undefined) backoff = { ...backoff, ...layer.backoff };
    if (layer.retryAfter !== undefined) retryAfter = { ...retryAfter, ...layer.retryAfter };
    maxAttempts = layer.maxAttempts ?? maxAttempts;
    maxAgeSeconds = layer.maxAgeSeconds ?? maxAgeSeconds;
    autoDisable = layer.autoDisable ?? autoDisable;
    classification = mergeClassification(preset ? DEFAULT_CLASSIFICATION_BASE : classification, layer);
  }
  if (delays !== undefined) maxAttempts = delays.length + 1;

  const issues: ErrorDetail[] = [];
  if (delays === undefined && backoff.maxDelaySeconds < backoff.baseSeconds) {
    issues.push({
      path: 'retryPolicy.backoff.maxDelaySeconds',
      message: `is ${backoff.maxDelaySeconds} once merged with the defaults, below baseSeconds (${backoff.baseSeconds}); set both`,
    });
  }
  if (retryAfter.maxSeconds < retryAfter.minSeconds) {
    issues.push({
      path: 'retryPolicy.retryAfter.maxSeconds',
      message: `is ${retryAfter.maxSeconds} once merged with the defaults, below minSeconds (${retryAfter.minSeconds}); set both`,
    });
  }
  const delaySum = delays?.reduce((a, b) => a + b, 0) ?? 0;
  if (delaySum > maxAgeSeconds) {
    issues.push({
      path: 'retryPolicy.maxAgeSeconds',
      message: `is ${maxAgeSeconds} once merged with the defaults, shorter than the sum of delays (${delaySum} s); set maxAgeSeconds`,
    });
  }
  if (issues.length > 0) throw new ValidationError('invalid retry policy', issues);

  return deepFreeze({
    ...(delays !== undefined ? { delays } : {}),
    backoff,
    maxAttempts,
    maxAgeSeconds,
    retryAfter: { ...retryAfter, statuses: [...retryAfter.statuses] },
    classification,
    autoDisable,
  });
}

/** One layer of a policy; a preset's layer is complete and replaces the classification below it. */
interface Layer {
  readonly input: RetryPolicyInput;
  readonly preset: boolean;
}

function withPreset(layer: RetryPolicyInput): Layer[] {
  const preset = layer.preset !== undefined ? PRESETS[layer.preset] : undefined;
  return preset !== undefined ? [{ input: preset, preset: true }, { input: layer, preset: false }] : [{ input: layer, preset: false }];
}

/** What a preset's table is laid over: its table sets every class and every status it needs. */
const DEFAULT_CLASSIFICATION_BASE: Classification = { ...DEFAULT_CLASSIFICATION, statuses: {} };

/**
 * One layer's classification over the table below it: the shorthands first (`retryClientErrors` sets
 * `clientError`, `on410` sets `statuses["410"]`), then `classification` class by class and status by status.
 * The caller lays a preset's complete table over an empty base, so a preset classifies the same whatever the
 * deployment's default says.
 */
function mergeClassification(base: Classification, layer: RetryPolicyInput): Classification {
  const input = layer.classification;
  const statuses: Record<string, Verdict> = { ...base.statuses };
  if (layer.on410 !== undefined) statuses['410'] = layer.on410;
  Object.assign(statuses, input?.statuses);
  const merged: { -readonly [K in keyof Classification]: Classification[K] } = { ...base, statuses };
  if (layer.retryClientErrors !== undefined) merged.clientError = layer.retryClientErrors ? 'retry' : 'permanent';
  for (const cls of OUTCOME_CLASSES) {
    const verdict = input?.[cls];
    if (verdict !== undefined) merged[cls] = verdict;
  }
  return merged;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
