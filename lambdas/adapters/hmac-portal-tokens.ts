/**
 * Portal session tokens signed with HMAC-SHA256 under a key derived from the deployment's portal session secret
 * (a Secrets Manager secret in AWS, a file in the data folder locally). Nothing is stored: a token proves itself,
 * and rotating the secret revokes every session at once (within the secret cache's five minutes in AWS).
 *
 * Format: `hps_<payload>.<signature>`, both base64url; payload = JSON claims `{v, sid, ten, iat, exp, ttl?}`;
 * signature = HMAC-SHA256(sessionKey, "hps_v1." + payload); sessionKey = HMAC-SHA256(secret, "herald portal
 * session key v1"). Only the secret's current value signs and verifies: a token signed before a rotation fails.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports';
import type { PortalSessionClaims, PortalSessionTokens, PortalTokenRejection, VerifiedPortalToken } from '../ports/portal-sessions';

export const PORTAL_TOKEN_PREFIX = 'hps_';
const KEY_LABEL = 'herald portal session key v1';
const SIGNED_PREFIX = 'hps_v1.';
/** Far above any real token (a title of 120 characters gives about 400): junk is refused before any work. */
const MAX_TOKEN_LENGTH = 2048;

interface Payload {
  readonly v: 1;
  readonly sid: string;
  readonly ten: string;
  readonly iat: number;
  readonly exp: number;
  readonly ttl?: string;
}

export class HmacPortalTokens implements PortalSessionTokens {
  /**
   * @param secret the current value of the portal session secret (cached by the reader; thrown errors propagate)
   */
  constructor(
    private readonly secret: () => Promise<string>,
    private readonly clock: Clock,
  ) {}

  recognises(token: string): boolean {
    return token.startsWith(PORTAL_TOKEN_PREFIX);
  }

  async mint(claims: PortalSessionClaims): Promise<string> {
    const payload: Payload = {
      v: 1,
      sid: claims.id,
      ten: claims.tenant,
      iat: Math.floor(claims.issuedAt / 1000),
      exp: Math.floor(claims.expiresAt / 1000),
      ...(claims.title === undefined ? {} : { ttl: claims.title }),
    };
    const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${PORTAL_TOKEN_PREFIX}${encoded}.${sign(await this.sessionKey(), encoded).toString('base64url')}`;
  }

  async verify(token: string): Promise<VerifiedPortalToken> {
    const fail = (reason: PortalTokenRejection): VerifiedPortalToken => ({ ok: false, reason });
    if (!this.recognises(token) || token.length > MAX_TOKEN_LENGTH) return fail('malformed');
    const [encoded, signature, ...rest] = token.slice(PORTAL_TOKEN_PREFIX.length).split('.');
    if (encoded === undefined || signature === undefined || rest.length > 0 || !/^[A-Za-z0-9_-]+$/.test(encoded + signature)) return fail('malformed');
    const expected = sign(await this.sessionKey(), encoded);
    const offered = Buffer.from(signature, 'base64url');
    if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) return fail('bad_signature');
    const claims = parsePayload(encoded);
    if (claims === undefined) return fail('malformed');
    if (this.clock.now() >= claims.expiresAt) return fail('expired');
    return { ok: true, claims };
  }

  /** A key derived from the secret, so a token never carries material that signs anything else. */
  private async sessionKey(): Promise<Buffer> {
    const secret = await this.secret();
    if (secret.trim() === '') throw new Error('the portal session secret is empty');
    return createHmac('sha256', secret).update(KEY_LABEL).digest();
  }
}

function sign(key: Buffer, encoded: string): Buffer {
  return createHmac('sha256', key).update(SIGNED_PREFIX + encoded).digest();
}

/** The claims of a signed payload; undefined when it is not the expected shape (a payload Herald signed always is). */
function parsePayload(encoded: string): PortalSessionClaims | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const p = value as Partial<Record<keyof Payload, unknown>>;
  if (p.v !== 1 || typeof p.sid !== 'string' || typeof p.ten !== 'string' || typeof p.iat !== 'number' || typeof p.exp !== 'number') return undefined;
  if (p.ttl !== undefined && typeof p.ttl !== 'string') return undefined;
  return { id: p.sid, tenant: p.ten, issuedAt: p.iat * 1000, expiresAt: p.exp * 1000, ...(p.ttl === undefined ? {} : { title: p.ttl }) };
}
