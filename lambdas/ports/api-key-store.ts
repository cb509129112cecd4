/**
 * The storage port for scoped API keys. Only a key's SHA-256 hash is stored: the key itself is shown once, when it
 * is created. The DynamoDB adapter (lambdas/adapters/dynamo/api-key-store.ts) implements it.
 */
import type { Grant } from '../core/access';

export interface StoredApiKey {
  readonly id: string; // key_...
  readonly name: string;
  readonly grants: readonly Grant[];
  /** SHA-256 (hex) of the whole key. */
  readonly keyHash: string;
  readonly createdAt: number;
  /** Who created it (a principal id), for the audit trail. */
  readonly createdBy: string;
}

export interface ApiKeyStore {
  /** Stores a new key; its id must not exist yet. */
  create(key: StoredApiKey): Promise<void>;
  /** Strongly consistent read. */
  get(id: string): Promise<StoredApiKey | undefined>;
  /** Every key, oldest first. */
  list(): Promise<StoredApiKey[]>;
  /** Deletes the key; returns whether it existed. */
  delete(id: string): Promise<boolean>;
}
