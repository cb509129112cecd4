/**
 * POST /v1/endpoints: create an endpoint with a fresh signing secret.
 */
import { makeId } from '../../core/ids';
import type { Endpoint } from '../../core/model';
import { generateSecret } from '../../core/signing';
import { sealEndpointSecrets } from '../endpoint-secrets';
import { applyContacts, prepareContacts, type ContactsInput } from './contacts';
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
 * sealed; the endpoint returned is the one the caller sent, in the clear. Contacts, when given, are subscribed (e-mail)
 * and get their own signing secret (URL), returned here once as `contactSecret`.
 */
export async function createEndpoint(
  deps: ApiUseCaseDeps,
  input: NewEndpoint & { readonly contacts?: ContactsInput },
): Promise<{ endpoint: Endpoint; secret: string; contactSecret?: string }> {
  const now = deps.clock.now();
  const secret = generateSecret(deps.randomBytes(SECRET_BYTES));
  const { contacts, ...fields } = input;
  const id = makeId('ep', now, deps.randomBytes(10));
  const change = await prepareContacts(deps, { kind: 'endpoint', endpointId: id }, undefined, contacts ?? null);
  const endpoint: Endpoint = {
    id,
    ...fields,
    ...(input.disabled ? { disabledReason: DISABLED_BY_API } : {}),
    secrets: [{ secret, createdAt: now }],
    health: { consecutiveFailures: 0 },
    ...(change.stored === undefined ? {} : { contacts: change.stored }),
    createdAt: now,
    updatedAt: now,
  };
  await applyContacts(change, async () => deps.endpoints.create(await sealEndpointSecrets(deps.secrets, endpoint)));
  return { endpoint, secret, ...(change.urlSecret === undefined ? {} : { contactSecret: change.urlSecret }) };
}
