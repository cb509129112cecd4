/**
 * The retry policy a client sends (an endpoint's `retryPolicy`) and the deployment sets
 * (`HERALD_DEFAULT_RETRY_POLICY`): every field optional, each checked for type and range, unknown fields
 * rejected, and the combinations that can be wrong within one input checked too.
 */
import * as z from 'zod';
import { parseDuration } from '../../core/duration';
import { type ErrorDetail, ValidationError } from '../../core/errors';
import { NO_RESPONSE_CLASSES, NO_RESPONSE_VERDICTS, OUTCOME_CLASSES, type OutcomeClass, type RetryPolicy, type RetryPolicyInput, VERDICTS } from '../../core/model';
import { JITTERS, ON410_VALUES, POLICY_LIMITS, PRESETS, resolvePolicy } from '../../core/policy';
import type { Result } from '../../core/result';
import { check, describe, rule, strictObject } from './zod-issues';

const L = POLICY_LIMITS;
const intRange = (range: { readonly min: number; readonly max: number }) => {
  const r = rule(`must be an integer from ${range.min} to ${range.max}`);
  return z.number(r).int(r).min(range.min, r).max(range.max, r);
};
const oneOf = <T extends string>(values: readonly T[]) =>
  z.enum(values as [T, ...T[]], rule(`must be one of ${values.join(', ')}`));

const DURATION_TEXT = 'must be a duration from 0s to 7d, written "90s", "5m", "1h", "1d" or as a whole number of seconds';
const durationRule = rule(DURATION_TEXT);
const isDuration = (value: string | number): boolean => {
  const seconds = parseDuration(value);
  return seconds !== undefined && seconds >= L.delays.minSeconds && seconds <= L.delays.maxSeconds;
};

/** `"90s"`, `"5m"`, `"1h"`, `"1d"`, or a whole number of seconds, at most 7 days. */
export const durationSchema = z
  .union(
    [
      z.string(durationRule).regex(/^\d{1,15}[smhd]?$/, durationRule),
      z.number(durationRule).int(durationRule).min(L.delays.minSeconds, durationRule).max(L.delays.maxSeconds, durationRule),
    ],
    durationRule,
  )
  .refine(isDuration, durationRule)
  .meta({ description: 'A duration: "90s", "5m", "1h", "1d" or a whole number of seconds; at most 7 days.', examples: ['5m', 90] });

const delaysRule = rule(`must be a list of ${L.delays.minItems} to ${L.delays.maxItems} durations`);
const statusRule = rule(`must be an HTTP status code from ${L.retryAfterStatuses.min} to ${L.retryAfterStatuses.max}`);
const statusesRule = rule(`must be a list of at most ${L.retryAfterStatuses.maxItems} HTTP status codes`);

const backoffSchema = strictObject(
  {
    baseSeconds: intRange(L.baseSeconds).optional().meta({ description: 'Cap of the first delay; each later cap doubles.' }),
    maxDelaySeconds: intRange(L.maxDelaySeconds).optional().meta({ description: 'The largest cap.' }),
    jitter: oneOf(JITTERS).optional().meta({ description: 'full: uniform in [1 s, cap]; equal: in [cap/2, cap]; none: the cap.' }),
  },
  'must be an object',
).superRefine((b, ctx) => {
  if (b.baseSeconds !== undefined && b.maxDelaySeconds !== undefined && b.maxDelaySeconds < b.baseSeconds) {
    ctx.addIssue({ code: 'custom', path: ['maxDelaySeconds'], message: `must be at least baseSeconds (${b.baseSeconds}), got ${b.maxDelaySeconds}` });
  }
});

const retryAfterSchema = strictObject(
  {
    statuses: z
      .array(z.number(statusRule).int(statusRule).min(L.retryAfterStatuses.min, statusRule).max(L.retryAfterStatuses.max, statusRule), statusesRule)
      .max(L.retryAfterStatuses.maxItems, statusesRule)
      .optional()
      .meta({ description: 'Statuses whose Retry-After header replaces the next delay.' }),
    minSeconds: intRange(L.retryAfterMinSeconds).optional(),
    maxSeconds: intRange(L.retryAfterMaxSeconds).optional(),
  },
  'must be an object',
).superRefine((r, ctx) => {
  if (r.minSeconds !== undefined && r.maxSeconds !== undefined && r.maxSeconds < r.minSeconds) {
    ctx.addIssue({ code: 'custom', path: ['maxSeconds'], message: `must be at least minSeconds (${r.minSeconds}), got ${r.maxSeconds}` });
  }
});

/** A verdict; `stop` only for classes without a response. */
function verdictSchema(noResponse: boolean) {
  return oneOf(VERDICTS).superRefine((verdict, ctx) => {
    if (!noResponse && NO_RESPONSE_VERDICTS.has(verdict)) {
      ctx.addIssue({ code: 'custom', message: `"${verdict}" is only for outcomes without a response (${[...NO_RESPONSE_CLASSES].join(', ')}); use "permanent"` });
    }
  });
}

const STATUS_KEY = /^[1-5][0-9][0-9]$/;
const classificationStatusesRule = rule(`must be an object of at most ${L.classificationStatuses.maxItems} "status": verdict entries`);

const classificationStatusesSchema = z
  .record(z.string(), verdictSchema(false), classificationStatusesRule)
  .superRefine(
    (statuses, ctx) => {
      if (Object.keys(statuses).length > L.classificationStatuses.maxItems) {
        ctx.addIssue({ code: 'custom', message: classificationStatusesRule.error({ input: statuses }) });
        return;
      }
      for (const key of Object.keys(statuses)) {
        const status = STATUS_KEY.test(key) ? Number(key) : undefined;
        if (status === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'must be an HTTP status code from 100 to 599, written as a string ("404")' });
        else if (status >= 200 && status <= 299) ctx.addIssue({ code: 'custom', path: [key], message: 'a 2xx is always delivered and cannot be classified' });
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value) },
  )
  .meta({ description: 'Per-status verdicts ("404": "retry"), overriding the class of the status.', examples: [{ '404': 'retry', '410': 'cancel_and_disable' }] });

const classificationSchema = strictObject(
  {
    ...(Object.fromEntries(OUTCOME_CLASSES.map((cls) => [cls, verdictSchema(NO_RESPONSE_CLASSES.has(cls)).optional()])) as Record<OutcomeClass, z.ZodOptional<ReturnType<typeof verdictSchema>>>),
    statuses: classificationStatusesSchema.optional(),
  },
  'must be an object',
).meta({
  description: `What each class of failed outcome does: ${VERDICTS.join(', ')} ("stop" only where nothing answered).`,
  examples: [{ clientError: 'retry', timeout: 'stop' }],
});

const presetNames = Object.keys(PRESETS) as [string, ...string[]];

/** The user-facing, partial retry policy. */
export const retryPolicyInputSchema = strictObject(
  {
    preset: z
      .enum(presetNames, { error: (issue) => `unknown preset ${describe(issue.input)}; one of: ${presetNames.join(', ')}` })
      .optional()
      .meta({ description: 'Start from a named policy; the other fields change single parts of it.' }),
    delays: z
      .array(durationSchema, delaysRule)
      .min(L.delays.minItems, delaysRule)
      .max(L.delays.maxItems, delaysRule)
      .optional()
      .meta({ description: 'A fixed schedule: the waits between attempts (replaces backoff; maxAttempts = delays + 1).' }),
    backoff: backoffSchema.optional(),
    maxAttempts: intRange(L.maxAttempts).optional().meta({ description: 'Attempts in all, the first included.' }),
    maxAgeSeconds: intRange(L.maxAgeSeconds).optional().meta({ description: 'No retry later than this after acceptance.' }),
    retryClientErrors: z.boolean(rule('must be true or false')).optional().meta({ description: 'Retry 4xx other than 408/410/425/429.' }),
    retryAfter: retryAfterSchema.optional(),
    on410: oneOf(ON410_VALUES).optional().meta({ description: 'What a 410 Gone does (shorthand for classification.statuses["410"]).' }),
    classification: classificationSchema.optional(),
    autoDisable: z.boolean(rule('must be true or false')).optional().meta({ description: 'Disable the endpoint after it has failed for the deployment\'s disable window.' }),
  },
  'must be an object',
)
  .superRefine((p, ctx) => {
    if (p.classification !== undefined) {
      if (p.retryClientErrors !== undefined && p.classification.clientError !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['retryClientErrors'], message: 'is a shorthand for classification.clientError; set one of them, not both' });
      }
      if (p.on410 !== undefined && p.classification.statuses?.['410'] !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['on410'], message: 'is a shorthand for classification.statuses["410"]; set one of them, not both' });
      }
    }
    if (p.delays === undefined) return;
    if (p.maxAttempts !== undefined && p.maxAttempts !== p.delays.length + 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxAttempts'],
        message: `must be ${p.delays.length + 1} (the first attempt plus one per delay) or left out when delays is given, got ${p.maxAttempts}`,
      });
    }
    const sum = p.delays.reduce<number>((total, d) => total + (parseDuration(d) ?? 0), 0);
    if (p.maxAgeSeconds !== undefined && p.maxAgeSeconds < sum) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxAgeSeconds'],
        message: `must be at least the sum of delays (${sum} s) or the last attempts never happen, got ${p.maxAgeSeconds}`,
      });
    }
  })
  .meta({
    id: 'RetryPolicyInput', title: 'RetryPolicyInput',
    description: 'A partial retry policy: each field set here overrides the preset and the deployment default.',
    examples: [{ preset: 'cryptr' }, { backoff: { baseSeconds: 10, jitter: 'equal' }, maxAttempts: 5 }],
  });

/**
 * Checks a user-supplied retry policy: all problems at once, each with its path starting at `path`
 * (`retryPolicy.backoff.baseSeconds`).
 *
 * @returns a clean copy holding only the known fields, or the list of problems
 */
export function validatePolicyInput(input: unknown, path = 'retryPolicy'): Result<RetryPolicyInput, ErrorDetail[]> {
  return check(retryPolicyInputSchema, input, path) as Result<RetryPolicyInput, ErrorDetail[]>;
}

/**
 * {@link resolvePolicy} over inputs that are checked first: for policies read back from storage or settings, which
 * were valid when saved but need not be now (a schema that grew stricter, an item written by hand). The deliver
 * worker falls back to the deployment default when an endpoint's policy fails here.
 *
 * @throws ValidationError (paths under `retryPolicy`) when `input` is invalid or the merge is inconsistent
 * @throws Error when `deploymentDefault` is invalid: a deployment misconfiguration, not the client's
 */
export function resolveCheckedPolicy(input: unknown, deploymentDefault?: unknown): RetryPolicy {
  let defaults: RetryPolicyInput | undefined;
  if (deploymentDefault !== undefined) {
    const checked = validatePolicyInput(deploymentDefault, 'defaultRetryPolicy');
    if (!checked.ok) {
      throw new Error(`the deployment's default retry policy is invalid: ${checked.error.map((e) => `${e.path} ${e.message}`).join('; ')}`);
    }
    defaults = checked.value;
  }
  if (input === undefined) return resolvePolicy(undefined, defaults);
  const checked = validatePolicyInput(input, 'retryPolicy');
  if (!checked.ok) throw new ValidationError('invalid retry policy', checked.error);
  return resolvePolicy(checked.value, defaults);
}
