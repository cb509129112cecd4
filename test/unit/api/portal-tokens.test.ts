import { describe, expect, it } from 'vitest';
import { HmacPortalTokens } from '../../../lambdas/adapters/hmac-portal-tokens';

const T = Date.UTC(2030, 0, 1);
const claims = { id: 'ps_1', tenant: 'acme', issuedAt: T, expiresAt: T + 3600_000, title: 'Acme' };

function rotatingSecret(initial: string): (() => Promise<string>) & { set(next: string): void } {
  let value = initial;
  return Object.assign(async () => value, { set: (next: string) => void (value = next) });
}

describe('HmacPortalTokens', () => {
  it('round-trips the claims (to the second) until the expiry, then refuses the token as expired', async () => {
    const clock = { t: T, now: () => clock.t };
    const tokens = new HmacPortalTokens(rotatingSecret('s1'), clock);
    const token = await tokens.mint(claims);
    expect(tokens.recognises(token)).toBe(true);
    expect(await tokens.verify(token)).toEqual({ ok: true, claims });
    clock.t = claims.expiresAt - 1;
    expect((await tokens.verify(token)).ok).toBe(true);
    clock.t = claims.expiresAt;
    expect(await tokens.verify(token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('is revoked by rotating the secret', async () => {
    const secret = rotatingSecret('s1');
    const tokens = new HmacPortalTokens(secret, { now: () => T });
    const token = await tokens.mint(claims);
    secret.set('s2');
    expect(await tokens.verify(token)).toEqual({ ok: false, reason: 'bad_signature' });
    secret.set('s1');
    expect((await tokens.verify(token)).ok).toBe(true);
  });

  it('refuses a token whose claims were changed (another tenant, a later expiry) as a bad signature', async () => {
    const tokens = new HmacPortalTokens(rotatingSecret('s1'), { now: () => T });
    const token = await tokens.mint(claims);
    const [payload, signature] = token.slice(4).split('.') as [string, string];
    const claimsOf = JSON.parse(Buffer.from(payload, 'base64url').toString());
    for (const change of [{ ten: 'other' }, { exp: claimsOf.exp + 86_400 }]) {
      const forged = Buffer.from(JSON.stringify({ ...claimsOf, ...change })).toString('base64url');
      expect(await tokens.verify(`hps_${forged}.${signature}`)).toEqual({ ok: false, reason: 'bad_signature' });
    }
  });

  it('never carries the secret', async () => {
    const tokens = new HmacPortalTokens(rotatingSecret('super-secret-value'), { now: () => T });
    const token = await tokens.mint(claims);
    expect(token).not.toContain('super-secret');
    expect(Buffer.from(token.slice(4).split('.')[0]!, 'base64url').toString()).not.toContain('super-secret');
  });

  it('fails (rather than refusing the token) when the secret cannot be read or is empty', async () => {
    const token = await new HmacPortalTokens(rotatingSecret('s1'), { now: () => T }).mint(claims);
    await expect(new HmacPortalTokens(() => Promise.reject(new Error('Secrets Manager down')), { now: () => T }).verify(token)).rejects.toThrow('down');
    await expect(new HmacPortalTokens(rotatingSecret(' '), { now: () => T }).verify(token)).rejects.toThrow('empty');
  });

  it.each(['hps_', 'hps_.', 'hps_a.b.c', 'hps_!!.??', `hps_${'a'.repeat(3000)}.b`, 'whsec_abc'])('refuses %s as malformed', async (bad) => {
    const tokens = new HmacPortalTokens(rotatingSecret('s1'), { now: () => T });
    expect(await tokens.verify(bad)).toEqual({ ok: false, reason: 'malformed' });
  });
});
