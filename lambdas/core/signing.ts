/**
 * Webhook signing per the Standard Webhooks specification
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 *
 * Node's crypto is used for HMAC only; keys and clock come from the caller.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SigningSecret } from './model';

export const SECRET_PREFIX = 'whsec_';
/** The specification asks for keys of 24 to 64 bytes. */
export const SECRET_MIN_BYTES = 24;
export const SECRET_MAX_BYTES = 64;

/**
 * Makes a signing secret from fresh random bytes: `whsec_` + base64 of the bytes, the format every
 * Standard Webhooks verifier library accepts.
 *
 * @param randomBytes 24 to 64 bytes from a cryptographic random source (callers use 32)
 * @throws RangeError when the key is shorter or longer than the specification allows
 */
export function generateSecret(randomBytes: Uint8Array): string {
  if (randomBytes.length < SECRET_MIN_BYTES || randomBytes.length > SECRET_MAX_BYTES) {
    throw new RangeError(`a signing key must have ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} bytes, got ${randomBytes.length}`);
  }
  return SECRET_PREFIX + Buffer.from(randomBytes).toString('base64');
}

/**
 * The key bytes of a `whsec_` secret.
 * @throws RangeError when the secret is not `whsec_` + base64 of at least one byte
 */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : undefined;
  if (encoded === undefined || encoded.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new RangeError('a signing secret must be "whsec_" followed by base64');
  }
  return Buffer.from(encoded, 'base64');
}

/**
 * One signature: `v1,` + base64 of HMAC-SHA256 over `"{id}.{timestamp}.{body}"` with the secret's key.
 * The body must be the exact bytes sent: a verifier recomputes over what it received.
 */
export function sign(id: string, timestampSeconds: number, body: string, secret: string): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError(`the webhook timestamp must be whole unix seconds, got ${timestampSeconds}`);
  }
  return signContent(`${id}.${timestampSeconds}.${body}`, secretKey(secret));
}

/**
 * One `v1,<base64>` signature over already-assembled signed content (`"{id}.{timestamp}.{body}"`) with a decoded
 * key: for callers that sign many messages with one secret and decode it once (the deliver worker, per batch).
 */
export function signContent(signedContent: string, key: Uint8Array): string {
  return `v1,${createHmac('sha256', key).update(signedContent, 'utf8').digest('base64')}`;
}

/**
 * The `webhook-signature` header value: one space-separated `v1,<base64>` entry per secret, in the
 * order given. During a secret rotation both the new and the old secret sign, so a receiver that
 * still holds the old secret (or already the new one) verifies either way.
 *
 * @throws Error when `secrets` is empty: an unsigned webhook must never go out
 */
export function signatureHeader(id: string, timestampSeconds: number, body: string, secrets: readonly string[]): string {
  if (secrets.length === 0) throw new Error('cannot sign a webhook without an active secret');
  return secrets.map((secret) => sign(id, timestampSeconds, body, secret)).join(' ');
}

/**
 * The three Standard Webhooks headers of one attempt: `webhook-id` (the event id, the same on every
 * retry so receivers can deduplicate), `webhook-timestamp` (unix seconds of this attempt, so
 * receivers can reject replays) and `webhook-signature`.
 */
export function webhookHeaders(input: {
  id: string;
  timestampSeconds: number;
  body: string;
  secrets: readonly string[];
}): Record<string, string> {
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestampSeconds),
    'webhook-signature': signatureHeader(input.id, input.timestampSeconds, input.body, input.secrets),
  };
}

/**
 * The secrets that sign right now, newest first: a secret is dropped once `expiresAt <= now` (a
 * rotated-out secret signs for 24 h after the rotation, then stops).
 */
export function activeSecrets(secrets: readonly SigningSecret[], now: number): string[] {
  return secrets
    .filter((s) => s.expiresAt === undefined || s.expiresAt > now)
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((s) => s.secret);
}

/** Why {@link verifySignature} rejected a message. */
export type VerifyFailure = 'missing_headers' | 'bad_timestamp' | 'timestamp_out_of_tolerance' | 'no_matching_signature';

/**
 * Verifies Standard Webhooks headers as a receiver does (used by Herald's local test receiver):
 * the timestamp must be within `toleranceSeconds` of `now` (replay protection) and at least one
 * `v1` signature must match one of `secrets`, compared in constant time.
 *
 * @param headers lower-case header names
 * @param now epoch milliseconds
 * @returns `undefined` when valid, else why not
 */
export function verifySignature(input: {
  headers: Readonly<Record<string, string | undefined>>;
  body: string;
  secrets: readonly string[];
  now: number;
  toleranceSeconds?: number;
}): VerifyFailure | undefined {
  const id = input.headers['webhook-id'];
  const timestamp = input.headers['webhook-timestamp'];
  const signatures = input.headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return 'missing_headers';
  if (!/^\d{1,15}$/.test(timestamp)) return 'bad_timestamp';
  const seconds = Number(timestamp);
  if (Math.abs(input.now / 1000 - seconds) > (input.toleranceSeconds ?? 300)) return 'timestamp_out_of_tolerance';
  const offered = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry));
  for (const secret of input.secrets) {
    const expected = Buffer.from(sign(id, seconds, input.body, secret));
    if (offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) {
      return undefined;
    }
  }
  return 'no_matching_signature';
}
