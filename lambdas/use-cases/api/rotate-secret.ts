/**
 * POST /v1/endpoints/{id}/rotate-secret.
 */
import { ConflictError, NotFoundError } from '../../core/errors';
import type { Endpoint, SigningSecret } from '../../core/model';
import { generateSecret } from '../../core/signing';
import { SECRET_BYTES } from './create-endpoint';
import { sealContext } from '../endpoint-secrets';
import type { ApiUseCaseDeps } from './deps';

/** How long a rotated-out secret keeps signing next to the new one, so receivers can switch without a gap. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;
const ROTATION_TRIES = 3;

/**
 * Makes a new signing secret the newest one. The previous current secret keeps signing for 24 hours
 * (it gets `expiresAt = now + 24 h`); secrets already rotated out keep their own expiry, and expired ones are
 * dropped. Two concurrent rotations cannot both succeed silently: the write is conditional on the newest
 * stored secret, and a lost race is retried on the fresh state.
 *
 * @returns the endpoint and the new secret (shown once)
 * @throws NotFoundError when there is no endpoint with this id
 */
export async function rotateSecret(deps: ApiUseCaseDeps, id: string): Promise<{ endpoint: Endpoint; secret: string }> {
  for (let attempt = 0; attempt < ROTATION_TRIES; attempt++) {
    const endpoint = await deps.endpoints.get(id);
    if (endpoint === undefined) throw new NotFoundError('endpoint');
    const now = deps.clock.now();
    const secret = generateSecret(deps.randomBytes(SECRET_BYTES));
    const kept: SigningSecret[] = endpoint.secrets
      .filter((s) => s.expiresAt === undefined || s.expiresAt > now)
      .map((s) => (s.expiresAt === undefined ? { ...s, expiresAt: now + ROTATION_OVERLAP_MS } : s));
    // The new secret is stored sealed; the kept ones stay as stored, and the condition compares the stored newest.
    const secrets: SigningSecret[] = [{ secret: await deps.secrets.seal(secret, sealContext.secret(id)), createdAt: now }, ...kept];
    const outcome = await deps.endpoints.replaceSecrets(id, endpoint.secrets[0]?.secret, secrets, now);
    if (outcome === 'missing') throw new NotFoundError('endpoint');
    if (outcome === 'replaced') return { endpoint: { ...endpoint, secrets, updatedAt: now }, secret };
  }
  throw new ConflictError('the endpoint secret is being rotated concurrently; retry');
}
