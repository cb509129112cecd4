import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { EnvelopeSecretBox, KmsDataKeys, LocalDataKeys, type StoredDataKey, type TableKeyring } from '../../../lambdas/adapters/secret-box';

/** The keyring's table item, in memory; `racer` stores a competing key just before this container's put. */
class MemoryKeyring {
  readonly items = new Map<string, StoredDataKey>();
  gets = 0;
  constructor(private readonly racer?: StoredDataKey) {}
  async get(id: string): Promise<StoredDataKey | undefined> {
    this.gets++;
    return this.items.get(id);
  }
  async add(key: StoredDataKey): Promise<boolean> {
    if (this.racer !== undefined && !this.items.has(key.id)) this.items.set(key.id, this.racer);
    if (this.items.has(key.id)) return false;
    this.items.set(key.id, key);
    return true;
  }
}

/** Counts how often the data key is generated and unwrapped (KMS calls in AWS). */
class CountingKeys extends LocalDataKeys {
  generated = 0;
  unwrapped = 0;
  override async generate() {
    this.generated++;
    return super.generate();
  }
  override async unwrap(wrapped: string) {
    this.unwrapped++;
    return super.unwrap(wrapped);
  }
}

const clock = { now: () => 1_900_000_000_000 };
const box = (keyring: MemoryKeyring, keys: LocalDataKeys) => new EnvelopeSecretBox(keyring as unknown as TableKeyring, keys, clock);

describe('EnvelopeSecretBox', () => {
  it('seals to an opaque value that opens only under its own context and key', async () => {
    const keyring = new MemoryKeyring();
    const master = randomBytes(32);
    const b = box(keyring, new LocalDataKeys(master));
    const sealed = await b.seal('whsec_c2VjcmV0LXNpZ25pbmcta2V5', 'endpoint:ep_1:secret');
    expect(sealed).toMatch(/^hsec1\.k1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('whsec_');
    expect(await b.seal('whsec_c2VjcmV0LXNpZ25pbmcta2V5', 'endpoint:ep_1:secret')).not.toBe(sealed); // random IV
    expect(await b.open(sealed, 'endpoint:ep_1:secret')).toBe('whsec_c2VjcmV0LXNpZ25pbmcta2V5');
    await expect(b.open(sealed, 'endpoint:ep_2:secret')).rejects.toThrow();
    // Flipping one byte of the ciphertext is detected (GCM tag).
    const raw = Buffer.from(sealed.split('.')[2]!, 'base64url');
    raw[14]! ^= 1;
    await expect(b.open(`hsec1.k1.${raw.toString('base64url')}`, 'endpoint:ep_1:secret')).rejects.toThrow();
    // Another container with the same master key opens it; one with another master key cannot.
    expect(await box(keyring, new LocalDataKeys(master)).open(sealed, 'endpoint:ep_1:secret')).toBe('whsec_c2VjcmV0LXNpZ25pbmcta2V5');
    await expect(box(keyring, new LocalDataKeys(randomBytes(32))).open(sealed, 'endpoint:ep_1:secret')).rejects.toThrow();
    // The table holds the data key only wrapped.
    const stored = keyring.items.get('k1')!;
    expect(stored.wrappedBy).toBe('local');
    expect(stored.createdAt).toBe(clock.now());
  });

  it('takes a value written before encryption at rest as it is', async () => {
    const b = box(new MemoryKeyring(), new LocalDataKeys(randomBytes(32)));
    expect(await b.open('whsec_bGVnYWN5', 'endpoint:ep_1:secret')).toBe('whsec_bGVnYWN5');
    expect(await b.open('Bearer legacy', 'endpoint:ep_1:header:authorization')).toBe('Bearer legacy');
  });

  it('unwraps the data key once per container, however many values it seals and opens, concurrent first uses included', async () => {
    const keyring = new MemoryKeyring();
    const master = randomBytes(32);
    const writer = new CountingKeys(master);
    const w = box(keyring, writer);
    const sealed = await Promise.all(Array.from({ length: 20 }, (_, i) => w.seal(`v${i}`, `c${i}`)));
    expect(writer.generated).toBe(1);
    expect(writer.unwrapped).toBe(0);
    const reader = new CountingKeys(master);
    const r = box(keyring, reader);
    const opened = await Promise.all(sealed.map((s, i) => r.open(s, `c${i}`)));
    expect(opened).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    expect([reader.generated, reader.unwrapped, keyring.gets]).toEqual([0, 1, 2]);
  });

  it('uses the data key another container stored first, when both create one at the same time', async () => {
    const master = randomBytes(32);
    const other = await new LocalDataKeys(master).generate();
    const keyring = new MemoryKeyring({ id: 'k1', wrapped: other.wrapped, wrappedBy: 'local', createdAt: 1 });
    const b = box(keyring, new LocalDataKeys(master));
    const sealed = await b.seal('x', 'c');
    // The winner's key sealed it: a container that only knows the stored key opens it.
    expect(await box(keyring, new LocalDataKeys(master)).open(sealed, 'c')).toBe('x');
    expect(keyring.items.get('k1')!.wrapped).toBe(other.wrapped);
  });

  it('opening a value whose data key is not in the table fails, and a later call tries again', async () => {
    const keyring = new MemoryKeyring();
    const master = randomBytes(32);
    const sealed = await box(keyring, new LocalDataKeys(master)).seal('x', 'c');
    const stored = keyring.items.get('k1')!;
    keyring.items.clear();
    const b = box(keyring, new LocalDataKeys(master));
    await expect(b.open(sealed, 'c')).rejects.toThrow(/data key k1 is not in the table/);
    keyring.items.set('k1', stored);
    expect(await b.open(sealed, 'c')).toBe('x');
  });
});

describe('KmsDataKeys', () => {
  it('generates and unwraps AES-256 data keys under the deployment key, bound to the table by the encryption context', async () => {
    const sent: unknown[] = [];
    const plaintext = randomBytes(32);
    const kms = {
      send: async (command: GenerateDataKeyCommand | DecryptCommand) => {
        sent.push(command);
        return command instanceof GenerateDataKeyCommand ? { Plaintext: plaintext, CiphertextBlob: Buffer.from('wrapped-blob') } : { Plaintext: plaintext };
      },
    } as unknown as KMSClient;
    const keys = new KmsDataKeys(kms, 'arn:aws:kms:eu-west-1:111122223333:key/k', 'herald-table');
    const fresh = await keys.generate();
    expect(fresh).toEqual({ plaintext, wrapped: Buffer.from('wrapped-blob').toString('base64') });
    expect(await keys.unwrap(fresh.wrapped)).toEqual(plaintext);
    const [generate, decrypt] = sent as [GenerateDataKeyCommand, DecryptCommand];
    expect(generate.input).toEqual({
      KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k',
      KeySpec: 'AES_256',
      EncryptionContext: { service: 'herald', table: 'herald-table' },
    });
    expect(decrypt.input).toMatchObject({ KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k', EncryptionContext: { service: 'herald', table: 'herald-table' } });
    expect(Buffer.from(decrypt.input.CiphertextBlob!).toString()).toBe('wrapped-blob');
    expect(keys.description).toBe('kms:arn:aws:kms:eu-west-1:111122223333:key/k');
  });
});
