/**
 * Secret encryption at rest, in one adapter: endpoint signing secrets and endpoint header values are sealed before
 * they are written to the table and opened only by the deliver worker, which needs them to sign and send.
 *
 * Envelope encryption. One AES-256 data key per deployment is kept in the table, wrapped: encrypted under the
 * deployment's KMS key (in AWS) or under a master key file in the data folder (local mode). A reader of the table
 * alone (a role with dynamodb:GetItem, a point-in-time restore, an export) holds only the wrapped key and the sealed
 * values. A container unwraps the data key once (one KMS Decrypt per container) and seals and opens with it in
 * memory from then on, so the cost of a delivery does not move with the number of secrets.
 *
 * A sealed value: `hsec1.<data key id>.<base64url(iv ‖ ciphertext ‖ tag)>`, AES-256-GCM with a random 96-bit IV
 * and, as additional authenticated data, the value's context (the endpoint and field it belongs to), so a sealed
 * value copied to another endpoint or field does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretBox } from '../ports';

const PREFIX = 'hsec1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** The one data key of this version; a later key rotation adds ids, sealed values name theirs. */
const CURRENT_KEY_ID = 'k1';

/** Where data keys come from and how they are unwrapped: KMS in AWS, a master key file in local mode. */
export interface DataKeySource {
  /** A new random data key, in the clear and wrapped. */
  generate(): Promise<{ readonly plaintext: Buffer; readonly wrapped: string }>;
  /** The clear data key of a wrapped one. */
  unwrap(wrapped: string): Promise<Buffer>;
  /** What a wrapped key says it is wrapped by (`kms:<key id>` or `local`), kept beside it for the operator. */
  readonly description: string;
}

/** The wrapped data key as stored in the table. */
export interface StoredDataKey {
  readonly id: string;
  readonly wrapped: string;
  readonly wrappedBy: string;
  readonly createdAt: number;
}

/** The table item of a data key: `KEYRING` / `DEK#<id>` (see docs/design-round-4.md). */
export const dataKeyItemKey = (id: string) => ({ pk: 'KEYRING', sk: `DEK#${id}` });

/**
 * Where the wrapped data key lives: the table itself. The first container that needs a key and finds none creates
 * it with a conditional put; a container that loses that race reads the winner's.
 */
export class TableKeyring {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(id: string): Promise<StoredDataKey | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: dataKeyItemKey(id), ConsistentRead: true }));
    if (out.Item === undefined) return undefined;
    return { id, wrapped: out.Item.wrapped as string, wrappedBy: out.Item.wrappedBy as string, createdAt: out.Item.createdAt as number };
  }

  /** Stores the key unless one with its id exists; returns whether this one was stored. */
  async add(key: StoredDataKey): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...dataKeyItemKey(key.id), entity: 'data_key', ...key },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

/** A DataKeySource on a KMS symmetric key. The encryption context binds every data key to this deployment's table. */
export class KmsDataKeys implements DataKeySource {
  readonly description: string;
  private readonly context: Record<string, string>;

  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
    tableName: string,
  ) {
    this.description = `kms:${keyId}`;
    this.context = { service: 'herald', table: tableName };
  }

  async generate(): Promise<{ plaintext: Buffer; wrapped: string }> {
    const out = await this.kms.send(new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: this.context }));
    if (out.Plaintext === undefined || out.CiphertextBlob === undefined) throw new Error('KMS GenerateDataKey returned no key');
    return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob).toString('base64') };
  }

  async unwrap(wrapped: string): Promise<Buffer> {
    const out = await this.kms.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: Buffer.from(wrapped, 'base64'), EncryptionContext: this.context }),
    );
    if (out.Plaintext === undefined) throw new Error('KMS Decrypt returned no key');
    return Buffer.from(out.Plaintext);
  }
}

/**
 * A DataKeySource on a local master key (local mode's stand-in for KMS): data keys are wrapped with AES-256-GCM
 * under it. Local mode keeps the master key in the data folder, 0600, next to the table it protects.
 */
export class LocalDataKeys implements DataKeySource {
  readonly description = 'local';

  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== KEY_BYTES) throw new Error(`the local master key must be ${KEY_BYTES} bytes`);
  }

  async generate(): Promise<{ plaintext: Buffer; wrapped: string }> {
    const plaintext = randomBytes(KEY_BYTES);
    return { plaintext, wrapped: seal(this.masterKey, plaintext, 'herald data key').toString('base64url') };
  }

  async unwrap(wrapped: string): Promise<Buffer> {
    return open(this.masterKey, Buffer.from(wrapped, 'base64url'), 'herald data key');
  }
}

/**
 * The SecretBox of the deployment: seals with the current data key, opens with the key a value names. The data key
 * is loaded (read from the table, unwrapped) on first use and kept for the container's life; concurrent first uses
 * share one load, and a failed load is not kept, so the next call tries again.
 */
export class EnvelopeSecretBox implements SecretBox {
  private readonly keys = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly keyring: TableKeyring,
    private readonly source: DataKeySource,
    private readonly clock: { now(): number },
  ) {}

  async seal(plaintext: string, context: string): Promise<string> {
    const key = await this.key(CURRENT_KEY_ID, true);
    return `${PREFIX}.${CURRENT_KEY_ID}.${seal(key, Buffer.from(plaintext, 'utf8'), context).toString('base64url')}`;
  }

  async open(value: string, context: string): Promise<string> {
    const parts = value.split('.');
    // Written before encryption at rest existed: taken as it is (and sealed at its next change).
    if (parts[0] !== PREFIX) return value;
    if (parts.length !== 3) throw new Error('malformed sealed value');
    const key = await this.key(parts[1]!, false);
    return open(key, Buffer.from(parts[2]!, 'base64url'), context).toString('utf8');
  }

  private key(id: string, create: boolean): Promise<Buffer> {
    let loading = this.keys.get(id);
    if (loading === undefined) {
      loading = this.load(id, create);
      this.keys.set(id, loading);
      loading.catch(() => this.keys.delete(id));
    }
    return loading;
  }

  private async load(id: string, create: boolean): Promise<Buffer> {
    const stored = await this.keyring.get(id);
    if (stored !== undefined) return this.source.unwrap(stored.wrapped);
    if (!create) throw new Error(`data key ${id} is not in the table`);
    const fresh = await this.source.generate();
    if (await this.keyring.add({ id, wrapped: fresh.wrapped, wrappedBy: this.source.description, createdAt: this.clock.now() })) return fresh.plaintext;
    // Another container stored its key first: use that one.
    const winner = await this.keyring.get(id);
    if (winner === undefined) throw new Error(`data key ${id} vanished`);
    return this.source.unwrap(winner.wrapped);
  }
}

function seal(key: Buffer, plaintext: Buffer, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('malformed sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}

/** The deployment's box in AWS: the data key in the table, wrapped under the KMS key `keyArn`. */
export function kmsSecretBox(doc: DynamoDBDocumentClient, tableName: string, kms: KMSClient, keyArn: string, clock: { now(): number }): SecretBox {
  return new EnvelopeSecretBox(new TableKeyring(doc, tableName), new KmsDataKeys(kms, keyArn, tableName), clock);
}

/** Local mode's box (and the tests'): the data key in the table, wrapped under a local master key. */
export function localSecretBox(doc: DynamoDBDocumentClient, tableName: string, masterKey: Buffer, clock: { now(): number }): SecretBox {
  return new EnvelopeSecretBox(new TableKeyring(doc, tableName), new LocalDataKeys(masterKey), clock);
}
