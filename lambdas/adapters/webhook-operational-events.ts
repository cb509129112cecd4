/**
 * Operational events as Standard Webhooks: POSTed, signed exactly like customer deliveries, to the URL the
 * deployment names.
 */
import { randomBytes } from 'node:crypto';
import type { OperationalWebhookConfig } from '../config';
import { makeId } from '../core/ids';
import { SECRET_PREFIX, webhookHeaders } from '../core/signing';
import type { Clock, HttpSender } from '../ports';
import { NO_OPERATIONAL_EVENTS, type OperationalEvent, type OperationalEvents } from '../ports/operational-events';
import { NodeHttpSender } from './http-sender';

/**
 * The pause before each retry, and each try's timeout: a receiver that blips is reached, a dead one costs the
 * worker's batch at most about ten seconds (the batch ends with its slowest record).
 */
export const OPERATIONAL_RETRY_DELAYS_MS = [250, 1000] as const;
export const OPERATIONAL_TIMEOUT_MS = 3000;

export interface WebhookOperationalEventsOptions {
  readonly url: string;
  /** The signing secret, `whsec_...` (a bare base64 key is taken as such): read when first needed, then cached by the source. */
  readonly secret: () => Promise<string>;
  readonly sender: HttpSender;
  readonly clock: Clock;
  readonly randomBytes: (size: number) => Uint8Array;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export class WebhookOperationalEvents implements OperationalEvents {
  constructor(private readonly options: WebhookOperationalEventsOptions) {}

  /**
   * POSTs `{id, type, timestamp, data}` with `webhook-id` (the same on every try, so the receiver can
   * deduplicate), `webhook-timestamp` and `webhook-signature`. Retries a failure twice (after 0.25 s and 1 s), then
   * throws with the last outcome.
   * The body is sent as `application/json` (the sender sets the content type).
   */
  async emit(event: OperationalEvent): Promise<void> {
    const now = this.options.clock.now();
    const id = makeId('msg', now, this.options.randomBytes(10));
    const body = JSON.stringify({ id, type: event.type, timestamp: new Date(now).toISOString(), data: event.data });
    const secret = normaliseSecret(await this.options.secret());
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    let last = '';
    for (let attempt = 0; attempt <= OPERATIONAL_RETRY_DELAYS_MS.length; attempt++) {
      if (attempt > 0) await sleep(OPERATIONAL_RETRY_DELAYS_MS[attempt - 1] as number);
      const timestampSeconds = Math.floor(this.options.clock.now() / 1000);
      const result = await this.options.sender.send({
        url: this.options.url,
        headers: webhookHeaders({ id, timestampSeconds, body, secrets: [secret] }),
        body,
        timeoutMs: OPERATIONAL_TIMEOUT_MS,
      });
      if (result.outcome.kind === 'http' && result.outcome.status >= 200 && result.outcome.status <= 299) return;
      last = result.outcome.kind === 'http' ? `HTTP ${result.outcome.status}` : result.outcome.kind;
    }
    throw new Error(`operational webhook ${event.type} was not accepted after ${OPERATIONAL_RETRY_DELAYS_MS.length + 1} tries (last: ${last})`);
  }
}

/** `whsec_<base64>`, or a bare base64 key (what Secrets Manager generates: 32 letters and digits are base64 of 24 bytes). */
export function normaliseSecret(value: string): string {
  const trimmed = value.trim();
  return trimmed.startsWith(SECRET_PREFIX) ? trimmed : `${SECRET_PREFIX}${trimmed}`;
}

/**
 * The operational events of a configuration: nothing to send without a URL; with one, webhooks signed with the
 * static secret (local mode) or the Secrets Manager secret (AWS; read through `readSecret`, which caches). The
 * operator chose the URL at deployment, so it may be a private address (an internal relay).
 */
export function operationalEventsFor(
  config: OperationalWebhookConfig | undefined,
  deps: { readonly clock: Clock; readonly readSecret: (secretId: string) => Promise<string>; readonly sender?: HttpSender },
): OperationalEvents {
  if (config === undefined) return NO_OPERATIONAL_EVENTS;
  const { secret } = config;
  return new WebhookOperationalEvents({
    url: config.url,
    secret: secret.kind === 'static' ? async () => secret.value : () => deps.readSecret(secret.secretId),
    sender: deps.sender ?? new NodeHttpSender({ allowPrivate: true }),
    clock: deps.clock,
    randomBytes: (size) => randomBytes(size),
  });
}
