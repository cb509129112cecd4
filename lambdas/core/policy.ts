/**
 * Retry policies: the built-in default, the presets, validation of the user-facing input and the
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
import { err, ok, type Result } from './result';

/** Ranges enforced by {@link validatePolicyInput}. Seven days is the longest single wait. */
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

const POLICY_KEYS = [
  'preset',
  'delays',
  'backoff',
  'maxAttempts',
  'maxAgeSeconds',
  'retryClientErrors',
  'retryAfter',
  'on410',
  'classification',
  'autoDisable',
] as const;
const BACKOFF_KEYS = ['baseSeconds', 'maxDelaySeconds', 'jitter'] as const;
const RETRY_AFTER_KEYS = ['statuses', 'minSeconds', 'maxSeconds'] as const;
const CLASSIFICATION_KEYS = [...OUTCOME_CLASSES, 'statuses'] as const;

/**
 * Validates a user-supplied retry policy (an endpoint's `retryPolicy`, or the deployment default).
 *
 * Every field is optional, but a field that is present must have the right type and range, and
 * unknown fields are rejected (a misspelt `maxAttemps` silently ignored would leave the user with a
 * policy they did not ask for). Each problem is reported with the path of the field, starting at
 * `path` (e.g. `retryPolicy.backoff.baseSeconds`), and all problems are reported at once.
 *
 * Within one input it also checks what can only be wrong in combination: `maxDelaySeconds` below
 * `baseSeconds`, `retryAfter.maxSeconds` below `minSeconds`, a `maxAttempts` that contradicts
 * `delays` (which sets it to `delays.length + 1`), and a `maxAgeSeconds` shorter than the sum of
 * `delays` (the end of the list would never be reached).
 *
 * @returns a clean copy holding only the known fields, or the list of problems
 */
export function validatePolicyInput(input: unknown, path = 'retryPolicy'): Result<RetryPolicyInput, ErrorDetail[]> {
  const issues: ErrorDetail[] = [];
  if (!isPlainObject(input)) {
    return err([{ path, message: `must be an object (got ${describe(input)})` }]);
  }
  rejectUnknownKeys(input, POLICY_KEYS, path, issues);
  const out: { -readonly [K in keyof RetryPolicyInput]: RetryPolicyInput[K] } = {};

  if (input.preset !== undefined) {
    const preset = input.preset;
    if (typeof preset !== 'string' || !Object.hasOwn(PRESETS, preset)) {
      issues.push({
        path: `${path}.preset`,
        message: `unknown preset ${describe(preset)}; one of: ${Object.keys(PRESETS).join(', ')}`,
      });
    } else {
      out.preset = preset;
    }
  }

  let delaySum: number | undefined;
  let delayCount: number | undefined;
  if (input.delays !== undefined) {
    const { minItems, maxItems, minSeconds, maxSeconds } = POLICY_LIMITS.delays;
    const delays = input.delays;
    if (!Array.isArray(delays) || delays.length < minItems || delays.length > maxItems) {
      issues.push({
        path: `${path}.delays`,
        message: `must be a list of ${minItems} to ${maxItems} durations (got ${describe(delays)})`,
      });
    } else {
      let sum = 0;
      let valid = true;
      delays.forEach((item: unknown, index) => {
        const seconds =
          typeof item === 'string' || typeof item === 'number' ? parseDuration(item) : undefined;
        if (seconds === undefined || seconds < minSeconds || seconds > maxSeconds) {
          valid = false;
          issues.push({
            path: `${path}.delays[${index}]`,
            message:
              `must be a duration from 0s to 7d, written "90s", "5m", "1h", "1d" or as a whole number ` +
              `of seconds (got ${describe(item)})`,
          });
        } else {
          sum += seconds;
        }
      });
      if (valid) {
        out.delays = [...(delays as (string | number)[])];
        delaySum = sum;
        delayCount = delays.length;
      }
    }
  }

  if (input.backoff !== undefined) {
    const bpath = `${path}.backoff`;
    const backoff = input.backoff;
    if (!isPlainObject(backoff)) {
      issues.push({ path: bpath, message: `must be an object (got ${describe(backoff)})` });
    } else {
      rejectUnknownKeys(backoff, BACKOFF_KEYS, bpath, issues);
      const value: { -readonly [K in keyof RetryPolicy['backoff']]?: RetryPolicy['backoff'][K] } = {};
      const base = integerField(backoff, 'baseSeconds', POLICY_LIMITS.baseSeconds, bpath, issues);
      const maxDelay = integerField(backoff, 'maxDelaySeconds', POLICY_LIMITS.maxDelaySeconds, bpath, issues);
      if (base !== undefined) value.baseSeconds = base;
      if (maxDelay !== undefined) value.maxDelaySeconds = maxDelay;
      if (base !== undefined && maxDelay !== undefined && maxDelay < base) {
        issues.push({
          path: `${bpath}.maxDelaySeconds`,
          message: `must be at least baseSeconds (${base}), got ${maxDelay}`,
        });
      }
      if (backoff.jitter !== undefined) {
        const jitter = enumValue(backoff.jitter, JITTERS, `${bpath}.jitter`, issues);
        if (jitter !== undefined) value.jitter = jitter;
      }
      out.backoff = value;
    }
  }

  const maxAttempts = integerField(input, 'maxAttempts', POLICY_LIMITS.maxAttempts, path, issues);
  if (maxAttempts !== undefined) {
    if (delayCount !== undefined && maxAttempts !== delayCount + 1) {
      issues.push({
        path: `${path}.maxAttempts`,
        message:
          `must be ${delayCount + 1} (the first attempt plus one per delay) or left out when delays is given, ` +
          `got ${maxAttempts}`,
      });
    } else {
      out.maxAttempts = maxAttempts;
    }
  }

  const maxAge = integerField(input, 'maxAgeSeconds', POLICY_LIMITS.maxAgeSeconds, path, issues);
  if (maxAge !== undefined) {
    if (delaySum !== undefined && maxAge < delaySum) {
      issues.push({
        path: `${path}.maxAgeSeconds`,
        message: `must be at least the sum of delays (${delaySum} s) or the last attempts never happen, got ${maxAge}`,
      });
    } else {
      out.maxAgeSeconds = maxAge;
    }
  }

  const retryClientErrors = booleanField(input, 'retryClientErrors', path, issues);
  if (retryClientErrors !== undefined) out.retryClientErrors = retryClientErrors;

  if (input.retryAfter !== undefined) {
    const rpath = `${path}.retryAfter`;
    const retryAfter = input.retryAfter;
    if (!isPlainObject(retryAfter)) {
      issues.push({ path: rpath, message: `must be an object (got ${describe(retryAfter)})` });
    } else {
      rejectUnknownKeys(retryAfter, RETRY_AFTER_KEYS, rpath, issues);
      const value: { -readonly [K in keyof RetryPolicy['retryAfter']]?: RetryPolicy['retryAfter'][K] } = {};
      if (retryAfter.statuses !== undefined) {
        const statuses = statusList(retryAfter.statuses, `${rpath}.statuses`, issues);
        if (statuses !== undefined) value.statuses = statuses;
      }
      const min = integerField(retryAfter, 'minSeconds', POLICY_LIMITS.retryAfterMinSeconds, rpath, issues);
      const max = integerField(retryAfter, 'maxSeconds', POLICY_LIMITS.retryAfterMaxSeconds, rpath, issues);
      if (min !== undefined) value.minSeconds = min;
      if (max !== undefined) value.maxSeconds = max;
      if (min !== undefined && max !== undefined && max < min) {
        issues.push({ path: `${rpath}.maxSeconds`, message: `must be at least minSeconds (${min}), got ${max}` });
      }
      out.retryAfter = value;
    }
  }

  if (input.on410 !== undefined) {
    const on410 = enumValue(input.on410, ON410_VALUES, `${path}.on410`, issues);
    if (on410 !== undefined) out.on410 = on410;
  }

  if (input.classification !== undefined) {
    const classification = classificationInput(input.classification, `${path}.classification`, issues);
    if (classification !== undefined) {
      if (input.retryClientErrors !== undefined && classification.clientError !== undefined) {
        issues.push({
          path: `${path}.retryClientErrors`,
          message: 'is a shorthand for classification.clientError; set one of them, not both',
        });
      }
      if (input.on410 !== undefined && classification.statuses?.['410'] !== undefined) {
        issues.push({
          path: `${path}.on410`,
          message: 'is a shorthand for classification.statuses["410"]; set one of them, not both',
        });
      }
      out.classification = classification;
    }
  }

  const autoDisable = booleanField(input, 'autoDisable', path, issues);
  if (autoDisable !== undefined) out.autoDisable = autoDisable;

  return issues.length > 0 ? err(issues) : ok(out);
}

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
 * @throws ValidationError when the input (paths under `retryPolicy`) is invalid, or when the merged
 *   policy is inconsistent (e.g. an inherited `maxDelaySeconds` below the input's `baseSeconds`, or a
 *   `maxAgeSeconds` shorter than the delays); the API calls this when an endpoint is saved, so these
 *   surface as 400s there
 * @throws Error when `deploymentDefault` is invalid: a deployment misconfiguration, not the client's
 */
export function resolvePolicy(input: RetryPolicyInput | undefined, deploymentDefault?: RetryPolicyInput): RetryPolicy {
  const layers: Layer[] = [];
  if (deploymentDefault !== undefined) {
    const checked = validatePolicyInput(deploymentDefault, 'defaultRetryPolicy');
    if (!checked.ok) {
      throw new Error(
        `the deployment's default retry policy is invalid: ${checked.error.map((e) => `${e.path} ${e.message}`).join('; ')}`,
      );
    }
    layers.push(...withPreset(checked.value));
  }
  if (input !== undefined) {
    const checked = validatePolicyInput(input, 'retryPolicy');
    if (!checked.ok) throw new ValidationError('invalid retry policy', checked.error);
    layers.push(...withPreset(checked.value));
  }

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

/** Validates `classification`: known classes, verdicts, and status keys; `stop` only where nothing answered. */
function classificationInput(value: unknown, path: string, issues: ErrorDetail[]): ClassificationInput | undefined {
  if (!isPlainObject(value)) {
    issues.push({ path, message: `must be an object (got ${describe(value)})` });
    return undefined;
  }
  const before = issues.length;
  rejectUnknownKeys(value, CLASSIFICATION_KEYS, path, issues);
  const out: { -readonly [K in OutcomeClass]?: Verdict } & { statuses?: Record<string, Verdict> } = {};
  for (const cls of OUTCOME_CLASSES) {
    if (value[cls] === undefined) continue;
    const verdict = verdictValue(value[cls], `${path}.${cls}`, NO_RESPONSE_CLASSES.has(cls), issues);
    if (verdict !== undefined) out[cls] = verdict;
  }
  if (value.statuses !== undefined) {
    const spath = `${path}.statuses`;
    const statuses = value.statuses;
    const { maxItems } = POLICY_LIMITS.classificationStatuses;
    if (!isPlainObject(statuses) || Object.keys(statuses).length > maxItems) {
      issues.push({ path: spath, message: `must be an object of at most ${maxItems} "status": verdict entries (got ${describe(statuses)})` });
    } else {
      const checked: Record<string, Verdict> = {};
      for (const [key, item] of Object.entries(statuses)) {
        const status = /^[1-5][0-9][0-9]$/.test(key) ? Number(key) : undefined;
        if (status === undefined) {
          issues.push({ path: `${spath}.${key}`, message: 'must be an HTTP status code from 100 to 599, written as a string ("404")' });
        } else if (status >= 200 && status <= 299) {
          issues.push({ path: `${spath}.${key}`, message: 'a 2xx is always delivered and cannot be classified' });
        } else {
          const verdict = verdictValue(item, `${spath}.${key}`, false, issues);
          if (verdict !== undefined) checked[key] = verdict;
        }
      }
      out.statuses = checked;
    }
  }
  return issues.length > before ? undefined : out;
}

function verdictValue(value: unknown, path: string, noResponse: boolean, issues: ErrorDetail[]): Verdict | undefined {
  const verdict = enumValue(value, VERDICTS, path, issues);
  if (verdict !== undefined && !noResponse && NO_RESPONSE_VERDICTS.has(verdict)) {
    issues.push({
      path,
      message: `"${verdict}" is only for outcomes without a response (${[...NO_RESPONSE_CLASSES].join(', ')}); use "permanent"`,
    });
    return undefined;
  }
  return verdict;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function rejectUnknownKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  issues: ErrorDetail[],
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      issues.push({ path: `${path}.${key}`, message: `unknown field; allowed: ${allowed.join(', ')}` });
    }
  }
}

function booleanField(value: Record<string, unknown>, key: string, path: string, issues: ErrorDetail[]): boolean | undefined {
  const field = value[key];
  if (field === undefined || typeof field === 'boolean') return field;
  issues.push({ path: `${path}.${key}`, message: `must be true or false (got ${describe(field)})` });
  return undefined;
}

function integerField(
  value: Record<string, unknown>,
  key: string,
  range: { readonly min: number; readonly max: number },
  path: string,
  issues: ErrorDetail[],
): number | undefined {
  const field = value[key];
  if (field === undefined) return undefined;
  if (typeof field !== 'number' || !Number.isInteger(field) || field < range.min || field > range.max) {
    issues.push({
      path: `${path}.${key}`,
      message: `must be an integer from ${range.min} to ${range.max} (got ${describe(field)})`,
    });
    return undefined;
  }
  return field;
}

function enumValue<T extends string>(
  value: unknown,
  allowed: readonly T[],
  path: string,
  issues: ErrorDetail[],
): T | undefined {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  issues.push({ path, message: `must be one of ${allowed.join(', ')} (got ${describe(value)})` });
  return undefined;
}

function statusList(value: unknown, path: string, issues: ErrorDetail[]): number[] | undefined {
  const { maxItems, min, max } = POLICY_LIMITS.retryAfterStatuses;
  if (!Array.isArray(value) || value.length > maxItems) {
    issues.push({ path, message: `must be a list of at most ${maxItems} HTTP status codes (got ${describe(value)})` });
    return undefined;
  }
  let valid = true;
  value.forEach((item: unknown, index) => {
    if (typeof item !== 'number' || !Number.isInteger(item) || item < min || item > max) {
      valid = false;
      issues.push({
        path: `${path}[${index}]`,
        message: `must be an HTTP status code from ${min} to ${max} (got ${describe(item)})`,
      });
    }
  });
  return valid ? [...(value as number[])] : undefined;
}

/** A short rendering of a received value for error messages (never long, never throws). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (typeof value === 'object' && value !== null) return 'an object';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
