/**
 * POST /v1/endpoints: create an endpoint with a fresh signing secret.
 */
import { makeId } from '../../core/ids';
import type { Endpoint } from '../../core/model';
import { generateSecret } from '../../core/signing';
import { sealEndpointSecrets } from '../endpoint-secrets';
import type { ApiUseCaseDeps } from './deps';

/** Signing keys are 32 random bytes (the Standard Webhooks range is 24 to 64). */
export const SECRET_BYTES = 32;
/** Why an endpoint is disabled when the API (not the failure policy) disabled it. */
export const DISABLED_BY_API = 'disabled through the API';

export type NewEndpoint = Pick<
  Endpoint,
  'url' | 'description' | 'eventTypes' | 'tenant' | 'retryPolicy' | 'timeoutMs' | 'headers' | 'disabled' | 'payloadFormat' | 'circuitBreaker' | 'rateLimitPerSecond'
>;

/**
 * Stores a validated endpoint with a new id and signing secret. The secret is returned here (and by
 * rotate-secret) and never again: every other response leaves it out. The secret and the header values are stored
 * sealed; the endpoint returned is the one the caller sent, in the clear.
 */
export async function createEndpoint(deps: ApiUseCaseDeps, input: NewEndpoint): Promise<{ endpoint: Endpoint; secret: string }> {
  const now = deps.clock.now();
  const secret = generateSecret(deps.randomBytes(SECRET_BYTES));
  const endpoint: Endpoint = {
    id: makeId('ep', now, deps.randomBytes(10)),
    ...input,
    ...(input.disabled ? { disabledReason: DISABLED_BY_API } : {}),
    secrets: [{ secret, createdAt: now }],
    health: { consecutiveFailures: 0 },
    createdAt: now,
    updatedAt: now,
  };
  await deps.endpoints.create(await sealEndpointSecrets(deps.secrets, endpoint));
  return { endpoint, secret };
}
