/**
 * PATCH /v1/endpoints/{id}.
 */
import { NotFoundError, ValidationError } from '../../core/errors';
import { headerMap } from '../../core/header-map';
import type { Endpoint } from '../../core/model';
import type { EndpointChanges } from '../../ports/endpoint-store';
import { DISABLED_BY_API, type NewEndpoint } from './create-endpoint';
import { HEADER_VALUE_MASK, sealHeaders } from '../endpoint-secrets';
import { applyContacts, prepareContacts, type ContactsInput } from './contacts';
import type { ApiUseCaseDeps } from './deps';

/** A validated change: any endpoint field but the tenant; `null` removes the breaker settings, the rate limit or the contacts. */
export type EndpointPatch = Partial<Omit<NewEndpoint, 'tenant' | 'circuitBreaker' | 'rateLimitPerSecond'>> & {
  readonly circuitBreaker?: NewEndpoint['circuitBreaker'] | null;
  readonly rateLimitPerSecond?: number | null;
  /** Replaces the endpoint's contacts; `null` removes them. */
  readonly contacts?: ContactsInput | null;
};

/**
 * Applies a validated partial change; only the given fields are written. New header values are stored sealed; a
 * value sent as the mask (`********`, what GET shows) keeps the stored value of that header.
 *
 * Disabling records why (`disabled through the API`). Re-enabling clears the reason and resets the failing
 * streak (consecutive failures and its start), so an endpoint the failure policy disabled is not disabled
 * again at once by the streak that disabled it; the last success and failure times are kept.
 *
 * Contacts are replaced as a whole: a new e-mail address is subscribed, a new URL gets a signing secret returned here
 * once (`contactSecret`); an unchanged address or URL keeps its subscription or secret.
 *
 * @throws NotFoundError when there is no endpoint with this id
 * @throws ValidationError when a masked value names a header the endpoint does not have
 */
export async function updateEndpoint(deps: ApiUseCaseDeps, id: string, patch: EndpointPatch): Promise<{ endpoint: Endpoint; contactSecret?: string }> {
  const current = await deps.endpoints.get(id);
  if (current === undefined) throw new NotFoundError('endpoint');
  const changes: { -readonly [K in keyof EndpointChanges]: EndpointChanges[K] } = { ...patch, updatedAt: deps.clock.now() };
  if (patch.headers !== undefined) changes.headers = await newHeaders(deps, current, patch.headers);
  if (patch.disabled === false && current.disabled) {
    changes.disabledReason = null;
    const { lastSuccessAt, lastFailureAt } = current.health;
    changes.health = {
      consecutiveFailures: 0,
      ...(lastSuccessAt === undefined ? {} : { lastSuccessAt }),
      ...(lastFailureAt === undefined ? {} : { lastFailureAt }),
    };
  } else if (patch.disabled === true && !current.disabled) {
    changes.disabledReason = DISABLED_BY_API;
  }
  if (patch.contacts === undefined) {
    const updated = await deps.endpoints.update(id, { ...changes, contacts: undefined });
    if (updated === undefined) throw new NotFoundError('endpoint');
    return { endpoint: updated };
  }
  const change = await prepareContacts(deps, { kind: 'endpoint', endpointId: id }, current.contacts, patch.contacts);
  const updated = await applyContacts(change, async () => {
    const result = await deps.endpoints.update(id, { ...changes, contacts: change.stored ?? null });
    if (result === undefined) throw new NotFoundError('endpoint');
    return result;
  });
  return { endpoint: updated, ...(change.urlSecret === undefined ? {} : { contactSecret: change.urlSecret }) };
}

/** The headers to store: masked values kept as stored (matched case-insensitively), the others sealed. */
async function newHeaders(deps: ApiUseCaseDeps, current: Endpoint, headers: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const stored = new Map(Object.keys(current.headers).map((name) => [name.toLowerCase(), current.headers[name]!]));
  const kept: [string, string][] = [];
  const fresh = headerMap();
  const unknown: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name]!;
    if (value !== HEADER_VALUE_MASK) fresh[name] = value;
    else if (stored.has(name.toLowerCase())) kept.push([name, stored.get(name.toLowerCase())!]);
    else unknown.push(name);
  }
  if (unknown.length > 0) {
    throw new ValidationError(
      'invalid endpoint change',
      unknown.map((name) => ({ path: `headers.${name}`, message: `is the mask ${HEADER_VALUE_MASK} but the endpoint has no such header; send its value` })),
    );
  }
  // Sealing contexts use the lower-cased name, so a kept value opens under any spelling of it.
  return headerMap([...kept, ...Object.entries(await sealHeaders(deps.secrets, current.id, fresh))]);
}
