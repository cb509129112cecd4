/**
 * Where the API's bearer keys come from: Secrets Manager in AWS, a fixed key in local mode.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ApiKeys, Clock } from '../ports';

/** How long keys read from Secrets Manager are trusted before being read again. */
export const API_KEY_CACHE_MS = 5 * 60 * 1000;

/**
 * The API keys held in one Secrets Manager secret: the `AWSCURRENT` version and, when there is one, the
 * `AWSPREVIOUS` version, so clients still holding the previous key keep working after a rotation until the
 * next one. The secret string is the key itself, or a JSON object with an `apiKey` field.
 *
 * Keys are cached for five minutes (one Secrets Manager call per container per five minutes, and a rotation
 * is picked up within that time). Concurrent callers share one fetch. When a refresh fails the error is
 * thrown (no stale keys are served: a revoked key must stop working).
 */
export class SecretsManagerApiKeys implements ApiKeys {
  private cached: { keys: readonly string[]; fetchedAt: number } | undefined;
  private inflight: Promise<readonly string[]> | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly clock: Clock,
    private readonly ttlMs: number = API_KEY_CACHE_MS,
  ) {}

  async keys(): Promise<readonly string[]> {
    const now = this.clock.now();
    if (this.cached !== undefined && now - this.cached.fetchedAt < this.ttlMs) return this.cached.keys;
    this.inflight ??= this.fetch(now).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetch(now: number): Promise<readonly string[]> {
    const current = await this.read('AWSCURRENT');
    if (current === undefined) throw new Error(`the API key secret has no AWSCURRENT value`);
    const previous = await this.read('AWSPREVIOUS');
    const keys = previous === undefined || previous === current ? [current] : [current, previous];
    this.cached = { keys, fetchedAt: now };
    return keys;
  }

  /** The key of one version stage; undefined when that stage does not exist (no rotation yet). */
  private async read(stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<string | undefined> {
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: stage }));
      return out.SecretString === undefined ? undefined : parseApiKeySecret(out.SecretString);
    } catch (error) {
      if (stage === 'AWSPREVIOUS' && (error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }
}

/**
 * The key in a secret string: a JSON object's `apiKey` field, or else the whole string (trimmed). An empty key
 * is treated as no key, so an empty secret can never authenticate an empty bearer token.
 */
export function parseApiKeySecret(secretString: string): string | undefined {
  let key = secretString.trim();
  if (key.startsWith('{')) {
    try {
      const parsed = JSON.parse(key) as { apiKey?: unknown };
      key = typeof parsed.apiKey === 'string' ? parsed.apiKey.trim() : '';
    } catch {
      // Not JSON after all: the string is the key.
    }
  }
  return key === '' ? undefined : key;
}

/** Fixed API keys (local mode, tests). Empty keys are refused at construction. */
export class StaticApiKeys implements ApiKeys {
  private readonly list: readonly string[];

  constructor(keys: readonly string[]) {
    if (keys.length === 0 || keys.some((k) => k.trim() === '')) throw new Error('StaticApiKeys needs at least one non-empty key');
    this.list = [...keys];
  }

  keys(): Promise<readonly string[]> {
    return Promise.resolve(this.list);
  }
}

/**
 * Reads one secret's current value through {@link SecretsManagerApiKeys} (same caching, same refusal to serve a
 * stale value), for secrets that are not API keys: the operational webhooks' signing key.
 */
export function secretReader(client: SecretsManagerClient, clock: Clock): (secretId: string) => Promise<string> {
  const readers = new Map<string, SecretsManagerApiKeys>();
  return async (secretId) => {
    let reader = readers.get(secretId);
    if (reader === undefined) readers.set(secretId, (reader = new SecretsManagerApiKeys(client, secretId, clock)));
    const [current] = await reader.keys();
    if (current === undefined) throw new Error(`the secret ${secretId} has no value`);
    return current;
  };
}
