/**
 * What the records of one SQS batch share, worked out once per batch instead of once per record:
 * per endpoint its retry policy, the headers it adds and its signing keys; per event its envelope;
 * and the tally of attempts per endpoint that the batch's one health write per endpoint records.
 *
 * A scope lives for one batch only. Endpoints and events are loaded afresh for every batch, so a
 * changed policy, secret or header takes effect with the next batch, exactly as when everything was
 * worked out per record.
 */
import { buildBody } from '../../core/envelope';
import type { Endpoint, HeraldEvent, PayloadFormat, RetryPolicy, SigningSecret } from '../../core/model';
import { headerMap } from '../../core/header-map';
import { resolveCheckedPolicy } from '../../api/schemas/retry-policy';
import { secretKey, signContent } from '../../core/signing';
import { BatchCircuits } from './batch-circuits';
import { BatchRates } from './rate-gate';
import { BatchParkLog, BatchParkTally } from './park-log';
import { errorText, type DeliverDeps } from './deps';

/** Headers Herald sets on every attempt; an endpoint's own headers of these names are dropped. */
const WEBHOOK_HEADERS = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature']);

/**
 * The attempts a batch made to one endpoint, as its health sees them: written once per endpoint per batch after the
 * records ran (./health.ts), not once per attempt.
 */
export interface HealthTally {
  /** Failed attempts since the batch's last success (all of them when there was none). */
  failures: number;
  /** When the last failure (or success) of the batch ended. */
  lastFailureAt?: number;
  lastSuccessAt?: number;
  /** The outcome of the attempt that ended last. */
  last?: 'success' | 'failure';
  /** The longest response time of the batch's attempts (ms): a slow receiver is looked at (./degraded.ts). */
  slowestMs?: number;
}

/** What every delivery to one endpoint within a batch needs. */
export interface EndpointPlan {
  readonly endpoint: Endpoint;
  readonly policy: RetryPolicy;
  /** The endpoint's own headers, less those that could forge the webhook headers. */
  readonly headers: Readonly<Record<string, string>>;
  readonly signer: EndpointSigner;
  readonly format: PayloadFormat;
  readonly tally: HealthTally;
}

/** Per-batch memo of endpoint plans and event bodies; `processBatch` makes one per batch. */
export class BatchScope {
  /** The circuits of the batch's endpoints (issue 11), saved once per endpoint after the batch. */
  readonly circuits = new BatchCircuits();
  /** The rate-limit admissions of the batch's rate-limited endpoints (issue 11), one per endpoint. */
  readonly rates = new BatchRates();
  /** The batch's park log writes (issue 11): one log item per endpoint for the parks asked for together. */
  readonly parkLog = new BatchParkLog();
  /** The batch's parks, logged once per endpoint after the records ran. */
  readonly parks = new BatchParkTally();
  private readonly plans = new Map<Endpoint, EndpointPlan>();
  private readonly bodies = new Map<HeraldEvent, Map<string, string>>();

  /**
   * The plan of an endpoint, made on first use. An invalid stored policy is logged (once per batch)
   * and replaced by the deployment default; an invalid deployment default throws, as it did per
   * record, and nothing is memoised.
   */
  plan(deps: Pick<DeliverDeps, 'log' | 'settings'>, endpoint: Endpoint): EndpointPlan {
    let plan = this.plans.get(endpoint);
    if (plan === undefined) {
      plan = {
        endpoint,
        policy: policyOf(deps, endpoint),
        headers: ownHeaders(endpoint.headers),
        signer: new EndpointSigner(endpoint.secrets),
        format: endpoint.payloadFormat ?? 'standard',
        tally: { failures: 0 },
      };
      this.plans.set(endpoint, plan);
    }
    return plan;
  }

  /** The plans of the endpoints this batch worked with. */
  endpointPlans(): EndpointPlan[] {
    return [...this.plans.values()];
  }

  /**
   * The body of an event in an endpoint's payload format: made once per format for `standard` and `data` (the
   * same bytes for every endpoint), once per endpoint for `cryptr` (its `webhook_id` is the endpoint's id).
   */
  body(event: HeraldEvent, endpointId: string, format: PayloadFormat, environment: string): string {
    let byKey = this.bodies.get(event);
    if (byKey === undefined) {
      byKey = new Map();
      this.bodies.set(event, byKey);
    }
    const key = format === 'cryptr' ? `cryptr#${endpointId}` : format;
    let body = byKey.get(key);
    if (body === undefined) {
      body = buildBody(event, { format, environment, endpointId });
      byKey.set(key, body);
    }
    return body;
  }
}

/** The endpoint's policy over the deployment default; a stored policy that no longer validates falls back to the default. */
export function policyOf(deps: Pick<DeliverDeps, 'log' | 'settings'>, endpoint: Endpoint): RetryPolicy {
  try {
    return resolveCheckedPolicy(endpoint.retryPolicy, deps.settings.defaultRetryPolicy);
  } catch (error) {
    deps.log.warn('endpoint retry policy is invalid; using the deployment default', { endpointId: endpoint.id, error: errorText(error) });
    return resolveCheckedPolicy(undefined, deps.settings.defaultRetryPolicy);
  }
}

function ownHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept = headerMap();
  for (const name in headers) {
    if (Object.hasOwn(headers, name) && !WEBHOOK_HEADERS.has(name.toLowerCase())) kept[name] = headers[name]!;
  }
  return kept;
}

interface KeyedSecret {
  readonly secret: SigningSecret;
  /** Decoded on first use: a secret that never signs (expired) is never decoded, as before. */
  key: Buffer | undefined;
}

/**
 * Signs attempts with an endpoint's secrets, each `whsec_` secret decoded once. The output, and
 * every error, is exactly that of `webhookHeaders` over `activeSecrets(secrets, now)` in
 * lambdas/core/signing.ts (the Standard Webhooks `v1` scheme), which the unit tests check: the
 * secrets are sorted newest first once (a stable sort, so filtering the expired ones afterwards
 * gives the same order), and each signature is core's `signContent` over `"{id}.{timestamp}.{body}"`.
 */
export class EndpointSigner {
  private readonly secrets: readonly KeyedSecret[];

  constructor(secrets: readonly SigningSecret[]) {
    this.secrets = [...secrets].sort((a, b) => b.createdAt - a.createdAt).map((secret) => ({ secret, key: undefined }));
  }

  /**
   * The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers of one attempt made at
   * `now` (epoch ms; secrets with `expiresAt <= now` no longer sign).
   *
   * @throws Error when no secret is active: an unsigned webhook must never go out
   * @throws RangeError for a timestamp that is not whole unix seconds, or a secret that is not `whsec_` + base64
   */
  headers(id: string, timestampSeconds: number, body: string, now: number): Record<string, string> {
    const active: KeyedSecret[] = [];
    for (const entry of this.secrets) {
      const expiresAt = entry.secret.expiresAt;
      if (expiresAt === undefined || expiresAt > now) active.push(entry);
    }
    if (active.length === 0) throw new Error('cannot sign a webhook without an active secret');
    const signed = `${id}.${timestampSeconds}.${body}`;
    let signature = '';
    for (const entry of active) {
      if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
        throw new RangeError(`the webhook timestamp must be whole unix seconds, got ${timestampSeconds}`);
      }
      entry.key ??= secretKey(entry.secret.secret);
      const entrySignature = signContent(signed, entry.key);
      signature = signature === '' ? entrySignature : `${signature} ${entrySignature}`;
    }
    return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': signature };
  }
}
