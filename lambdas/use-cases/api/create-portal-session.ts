/**
 * POST /v1/tenants/{tenant}/portal-sessions: a short-lived bearer credential for one tenant's customer-facing
 * page (Svix's App Portal): it manages that tenant's endpoints and sees and replays its deliveries, nothing else.
 */
import { makeId } from '../../core/ids';
import type { Clock } from '../../ports';
import type { PortalSessionTokens } from '../../ports/portal-sessions';

export interface PortalSessionRequest {
  readonly tenant: string;
  readonly ttlSeconds: number;
  /** Shown by the console in portal mode (the operator's product name, say). */
  readonly title?: string;
  /** Where the console is served: `https://<api domain>`. */
  readonly baseUrl: string;
}

export interface MintedPortalSession {
  readonly id: string;
  readonly token: string;
  /** Opens the console in portal mode. The token travels in the fragment, which browsers never send to a server. */
  readonly url: string;
  /** Epoch ms, whole seconds (the token carries seconds). */
  readonly expiresAt: number;
}

export interface PortalSessionDeps {
  readonly portalTokens: PortalSessionTokens;
  readonly clock: Clock;
  readonly randomBytes: (size: number) => Uint8Array;
}

/**
 * Mints a session token (signed, never stored) and the console link that carries it. Nothing is written: a
 * session ends when it expires, or for every session at once when the portal session secret is rotated.
 */
export async function createPortalSession(deps: PortalSessionDeps, request: PortalSessionRequest): Promise<MintedPortalSession> {
  const issuedAt = deps.clock.now();
  const expiresAt = (Math.floor(issuedAt / 1000) + request.ttlSeconds) * 1000;
  const id = makeId('ps', issuedAt, deps.randomBytes(10));
  const token = await deps.portalTokens.mint({
    id,
    tenant: request.tenant,
    issuedAt,
    expiresAt,
    ...(request.title === undefined ? {} : { title: request.title }),
  });
  return { id, token, url: `${request.baseUrl}/console/#portal=${encodeURIComponent(token)}`, expiresAt };
}
