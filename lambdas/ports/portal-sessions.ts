/**
 * Portal session tokens (issue 14): bearer credentials limited to one tenant, signed and never stored.
 */
import type { PortalSession } from '../core/access';

export interface PortalSessionClaims extends PortalSession {
  /** A random id (`ps_...`): two sessions minted in the same second differ, and a session can be named in logs. */
  readonly id: string;
  /** Epoch ms. */
  readonly issuedAt: number;
}

/** Why a token was refused: each is the same 401 to the caller; the reason is for the logs. */
export type PortalTokenRejection = 'malformed' | 'bad_signature' | 'expired';

export type VerifiedPortalToken = { readonly ok: true; readonly claims: PortalSessionClaims } | { readonly ok: false; readonly reason: PortalTokenRejection };

export interface PortalSessionTokens {
  /** Whether a bearer credential is in the portal token format (then no other principal source needs asking). */
  recognises(token: string): boolean;
  mint(claims: PortalSessionClaims): Promise<string>;
  /** @throws when the signing secret cannot be read (the caller answers 503, never 401) */
  verify(token: string): Promise<VerifiedPortalToken>;
}
