import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { API_KEY_CACHE_MS, SecretsManagerApiKeys, StaticApiKeys, parseApiKeySecret } from '../../../lambdas/adapters/secrets-api-keys';

/** A Secrets Manager stand-in answering GetSecretValue by version stage. */
function fakeSecrets(stages: Record<string, string | undefined>) {
  const calls: string[] = [];
  let failWith: Error | undefined;
  const client = {
    send: async (command: { input: { SecretId: string; VersionStage: string } }) => {
      calls.push(command.input.VersionStage);
      if (failWith) throw failWith;
      const value = stages[command.input.VersionStage];
      if (value === undefined) {
        throw Object.assign(new Error(`no ${command.input.VersionStage}`), { name: 'ResourceNotFoundException' });
      }
      return { SecretString: value };
    },
  };
  return {
    client: client as unknown as SecretsManagerClient,
    calls,
    stages,
    fail: (error: Error | undefined) => {
      failWith = error;
    },
  };
}

describe('SecretsManagerApiKeys', () => {
  it('accepts AWSCURRENT and AWSPREVIOUS, and only AWSCURRENT before any rotation', async () => {
    const rotated = fakeSecrets({ AWSCURRENT: 'new-key', AWSPREVIOUS: 'old-key' });
    expect(await new SecretsManagerApiKeys(rotated.client, 'arn', { now: () => 0 }).keys()).toEqual(['new-key', 'old-key']);
    const fresh = fakeSecrets({ AWSCURRENT: 'only-key' });
    expect(await new SecretsManagerApiKeys(fresh.client, 'arn', { now: () => 0 }).keys()).toEqual(['only-key']);
  });

  it('caches the keys for five minutes, then reads them again (picking up a rotation)', async () => {
    const sm = fakeSecrets({ AWSCURRENT: 'k1' });
    let now = 1_000_000;
    const keys = new SecretsManagerApiKeys(sm.client, 'arn', { now: () => now });
    expect(await keys.keys()).toEqual(['k1']);
    const calls = sm.calls.length;
    sm.stages.AWSCURRENT = 'k2';
    sm.stages.AWSPREVIOUS = 'k1';
    now += API_KEY_CACHE_MS - 1;
    expect(await keys.keys()).toEqual(['k1']);
    expect(sm.calls.length).toBe(calls);
    now += 1;
    expect(await keys.keys()).toEqual(['k2', 'k1']);
  });

  it('shares one fetch between concurrent callers, and does not cache a failure', async () => {
    const sm = fakeSecrets({ AWSCURRENT: 'k' });
    const keys = new SecretsManagerApiKeys(sm.client, 'arn', { now: () => 0 });
    await Promise.all([keys.keys(), keys.keys(), keys.keys()]);
    expect(sm.calls).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);

    const broken = fakeSecrets({ AWSCURRENT: 'k' });
    broken.fail(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const failing = new SecretsManagerApiKeys(broken.client, 'arn', { now: () => 0 });
    await expect(failing.keys()).rejects.toThrow('throttled');
    broken.fail(undefined);
    expect(await failing.keys()).toEqual(['k']);
  });

  it('reads a plain key or a JSON {apiKey}, and never treats an empty secret as a key', () => {
    expect(parseApiKeySecret('  abc123  ')).toBe('abc123');
    expect(parseApiKeySecret('{"apiKey":"from-json"}')).toBe('from-json');
    expect(parseApiKeySecret('{"other":"x"}')).toBeUndefined();
    expect(parseApiKeySecret('{not json')).toBe('{not json');
    expect(parseApiKeySecret('   ')).toBeUndefined();
  });
});

describe('StaticApiKeys', () => {
  it('returns its keys and refuses empty ones', async () => {
    expect(await new StaticApiKeys(['a', 'b']).keys()).toEqual(['a', 'b']);
    expect(() => new StaticApiKeys([])).toThrow();
    expect(() => new StaticApiKeys([' '])).toThrow();
  });
});
