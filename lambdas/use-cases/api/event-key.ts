/**
 * Event ids and storage keys, scoped by tenant.
 *
 * The storage key of an event (`EVT#<key>`) is what makes a publish idempotent: a retried request computes the same
 * key, and the event's conditional put finds the first one. It is
 * - the ULID of a generated id (`evt_<ULID>`), when the client sends neither an id nor an Idempotency-Key;
 * - a digest of the tenant and the client's own `id`, which stays the public id;
 * - a digest of the tenant and the `Idempotency-Key` (with the event's index for a batch), the public id then being
 *   `evt_<key>`.
 * Two tenants may therefore use the same key or id without meeting (issue 16 item 4).
 */
import { createHash } from 'node:crypto';
import { idBody, isId, makeId, storageKeyFromDigest } from '../../core/ids';

export interface EventIdentity {
  readonly id: string;
  readonly key: string;
}

/** The 26-character key of a digest of (`kind`, tenant, value). */
function digestKey(kind: 'id' | 'key' | 'batch', tenant: string, value: string): string {
  return storageKeyFromDigest(createHash('sha256').update(`${kind}\u0000${tenant}\u0000${value}`).digest().subarray(0, 16));
}

/**
 * The id and storage key of a new event.
 * @param batchIndex the event's index in a batch publish, which scopes the batch's Idempotency-Key per event
 */
export function eventIdentity(
  request: { readonly tenant: string; readonly id?: string; readonly idempotencyKey?: string },
  now: number,
  randomBytes: (size: number) => Uint8Array,
  batchIndex?: number,
): EventIdentity {
  if (request.id !== undefined) return { id: request.id, key: digestKey('id', request.tenant, request.id) };
  if (request.idempotencyKey !== undefined) {
    const key =
      batchIndex === undefined
        ? digestKey('key', request.tenant, request.idempotencyKey)
        : digestKey('batch', request.tenant, `${request.idempotencyKey}\u0000${batchIndex}`);
    return { id: `evt_${key}`, key };
  }
  const id = makeId('evt', now, randomBytes(10));
  return { id, key: idBody(id) };
}

/**
 * The storage keys an event id may live under, most likely first: a Herald id locates itself; a client's own id
 * is found through its tenant.
 */
export function eventKeysOf(id: string, tenant: string): string[] {
  const candidates = isId('evt', id) ? [idBody(id)] : [];
  candidates.push(digestKey('id', tenant, id));
  return candidates;
}

/** A short digest of the canonical request: the same key with another request is a conflict. */
export function fingerprint(canonicalRequest: string): string {
  return createHash('sha256').update(canonicalRequest).digest().subarray(0, 16).toString('base64url');
}
