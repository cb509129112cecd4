import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SigningSecret } from '../../../lambdas/core/model';
import { resolvePolicy } from '../../../lambdas/core/policy';
import { activeSecrets, generateSecret, verifySignature, webhookHeaders } from '../../../lambdas/core/signing';
import { BatchScope, EndpointSigner } from '../../../lambdas/use-cases/deliver/batch-scope';
import { fixture, T0, unitWorld } from './fakes';

/** The core's signing of one attempt, or the error it throws. */
function coreHeaders(secrets: readonly SigningSecret[], id: string, timestampSeconds: number, body: string, now: number) {
  try {
    return webhookHeaders({ id, timestampSeconds, body, secrets: activeSecrets(secrets, now) });
  } catch (error) {
    return error;
  }
}

function signerHeaders(signer: EndpointSigner, id: string, timestampSeconds: number, body: string, now: number) {
  try {
    return signer.headers(id, timestampSeconds, body, now);
  } catch (error) {
    return error;
  }
}

const secretArb = fc.uint8Array({ minLength: 24, maxLength: 64 }).map((bytes) => generateSecret(bytes));

describe('EndpointSigner', () => {
  it('signs exactly as webhookHeaders over activeSecrets, for any secrets, expiries and times', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ secret: secretArb, createdAt: fc.integer({ min: 0, max: 100 }), expiresAt: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }) }),
          { maxLength: 4 },
        ),
        fc.string(),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.string(),
        fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 3 }),
        (raw, id, timestampSeconds, body, times) => {
          const secrets: SigningSecret[] = raw.map(({ expiresAt, ...s }) => (expiresAt === undefined ? s : { ...s, expiresAt }));
          const signer = new EndpointSigner(secrets);
          // One signer serves every record of a batch, at different times.
          for (const now of times) {
            expect(signerHeaders(signer, id, timestampSeconds, body, now)).toEqual(coreHeaders(secrets, id, timestampSeconds, body, now));
          }
        },
      ),
    );
  });

  it('keeps the core order during a rotation (newest first) and drops a secret once it expires', () => {
    const old = generateSecret(Buffer.alloc(32, 1));
    const current = generateSecret(Buffer.alloc(32, 2));
    const signer = new EndpointSigner([
      { secret: old, createdAt: T0, expiresAt: T0 + 1000 },
      { secret: current, createdAt: T0 + 500 },
    ]);
    const during = signer.headers('evt_1', 1, '{}', T0 + 999);
    expect(during['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(during).toEqual(webhookHeaders({ id: 'evt_1', timestampSeconds: 1, body: '{}', secrets: [current, old] }));
    const after = signer.headers('evt_1', 1, '{}', T0 + 1000);
    expect(after).toEqual(webhookHeaders({ id: 'evt_1', timestampSeconds: 1, body: '{}', secrets: [current] }));
    expect(verifySignature({ headers: after, body: '{}', secrets: [old], now: 1000 })).toBe('no_matching_signature');
  });

  it('refuses as the core does: no active secret, a malformed secret, a timestamp that is not whole seconds', () => {
    const good = generateSecret(Buffer.alloc(32, 3));
    const cases: [SigningSecret[], number][] = [
      [[], 1],
      [[{ secret: good, createdAt: 0, expiresAt: 5 }], 1],
      [[{ secret: 'whsec_not base64!', createdAt: 0 }], 1],
      [[{ secret: good, createdAt: 0 }], 1.5],
      [[{ secret: good, createdAt: 0 }], -1],
    ];
    for (const [secrets, timestamp] of cases) {
      const ours = signerHeaders(new EndpointSigner(secrets), 'evt_1', timestamp, '{}', 10);
      const core = coreHeaders(secrets, 'evt_1', timestamp, '{}', 10);
      expect(ours).toBeInstanceOf(Error);
      expect(ours).toEqual(core);
      expect((ours as Error).constructor).toBe((core as Error).constructor);
    }
  });

  it('never decodes a secret that no longer signs', () => {
    const good = generateSecret(Buffer.alloc(32, 4));
    const signer = new EndpointSigner([
      { secret: good, createdAt: 2 },
      { secret: 'whsec_', createdAt: 1, expiresAt: 5 },
    ]);
    expect(signer.headers('evt_1', 1, '{}', 5)).toEqual(webhookHeaders({ id: 'evt_1', timestampSeconds: 1, body: '{}', secrets: [good] }));
  });
});

describe('BatchScope', () => {
  it('makes one plan per endpoint: the resolved policy, the headers without webhook-*, the signer', () => {
    const w = unitWorld();
    const { endpoint } = fixture({ endpoint: { retryPolicy: { preset: 'cryptr' }, headers: { authorization: 'Bearer abc', 'Webhook-Signature': 'forged', 'X-Team': 'a' } } });
    const scope = new BatchScope();
    const plan = scope.plan(w.deps, endpoint);
    expect(scope.plan(w.deps, endpoint)).toBe(plan);
    expect(plan.policy).toEqual(resolvePolicy({ preset: 'cryptr' }, undefined));
    expect(plan.headers).toEqual({ authorization: 'Bearer abc', 'X-Team': 'a' });
    expect(plan.tally).toEqual({ failures: 0 });
    // Another batch starts from scratch: a changed endpoint takes effect with the next batch.
    expect(new BatchScope().plan(w.deps, endpoint)).not.toBe(plan);
  });

  it('falls back to the deployment default for an invalid stored policy, logging it once per batch', () => {
    const w = unitWorld({ settings: { defaultRetryPolicy: { maxAttempts: 3 } } });
    const { endpoint } = fixture({ endpoint: { retryPolicy: { maxAttempts: 0 } } });
    const scope = new BatchScope();
    expect(scope.plan(w.deps, endpoint).policy).toEqual(resolvePolicy(undefined, { maxAttempts: 3 }));
    scope.plan(w.deps, endpoint);
    expect(w.logs.map((l) => [l.level, l.message])).toEqual([['warn', 'endpoint retry policy is invalid; using the deployment default']]);
  });

  it('throws for an invalid deployment default on every use, memoising nothing', () => {
    const w = unitWorld({ settings: { defaultRetryPolicy: { maxAttempts: 0 } } });
    const { endpoint } = fixture();
    const scope = new BatchScope();
    expect(() => scope.plan(w.deps, endpoint)).toThrow("the deployment's default retry policy is invalid");
    expect(() => scope.plan(w.deps, endpoint)).toThrow("the deployment's default retry policy is invalid");
  });

  it('builds one envelope per event and format, and one cryptr body per endpoint', () => {
    const { event } = fixture();
    const scope = new BatchScope();
    const body = scope.body(event, 'ep_1', 'standard', 'sandbox');
    expect(body).toBe('{"id":"evt_1","type":"user.created","timestamp":"2030-01-01T00:00:00.000Z","tenant":null,"data":{"a":1}}');
    expect(scope.body(event, 'ep_2', 'standard', 'sandbox')).toBe(body);
    expect(scope.body(event, 'ep_1', 'data', 'sandbox')).toBe('{"a":1}');
    const cryptr = scope.body(event, 'ep_1', 'cryptr', 'sandbox');
    expect(JSON.parse(cryptr)).toMatchObject({ __environment__: 'sandbox', code: 'user.created', webhook_id: 'ep_1' });
    expect(scope.body(event, 'ep_1', 'cryptr', 'sandbox')).toBe(cryptr);
    expect(JSON.parse(scope.body(event, 'ep_2', 'cryptr', 'sandbox'))).toMatchObject({ webhook_id: 'ep_2' });
  });
});
