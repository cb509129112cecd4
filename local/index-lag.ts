/**
 * Eventually consistent index reads, which dynalite does not have: in DynamoDB a global secondary
 * index is updated asynchronously, so a Query on it may not yet show a write the table already
 * holds (typically for a fraction of a second, longer under load), and may still show what was
 * changed or deleted.
 *
 * Opt-in, for tests (and `HERALD_LOCAL_INDEX_LAG_MS` in local mode): an SDK middleware on a
 * DynamoDB client serves every Query or Scan with an `IndexName` from a delayed view of the table,
 * a second table with the same indexes that receives each write `lagMs` after it happened. Reads of
 * the table itself (GetItem, BatchGetItem, Query and Scan without an index) are unaffected, as in
 * DynamoDB, where they can be strongly consistent. The middleware works on the wire form of the
 * request, so the document client and the plain client are covered alike.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SPEC } from '../lib/spec';
import { systemClock, type Clock } from '../lambdas/ports';
import { ensureTable } from './provision';
import type { AwsClients } from './emulators';

type Key = Record<string, AttributeValue>;
type Item = Record<string, AttributeValue>;

interface PendingWrite {
  readonly visibleAt: number;
  readonly key: Key;
  /** The item after the write; undefined when the write deleted it. */
  readonly image: Item | undefined;
}

export interface IndexLagOptions {
  /** The clients whose index reads lag (the ones the handlers use). */
  readonly clients: AwsClients;
  /** A client without the middleware, for the view's own reads and writes. */
  readonly raw: DynamoDBClient;
  readonly tableName: string;
  /** How long a write takes to reach the indexes. */
  readonly lagMs: number;
  readonly clock?: Clock;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const MIDDLEWARE = 'heraldIndexLag';

/** The operation of a DynamoDB JSON request (`x-amz-target: DynamoDB_20120810.Query`). */
function operationOf(headers: Record<string, string>): string | undefined {
  const target = headers['x-amz-target'] ?? headers['X-Amz-Target'];
  return target?.split('.')[1];
}

const keyOf = (item: Item): Key => ({
  [TABLE_SPEC.partitionKey]: item[TABLE_SPEC.partitionKey]!,
  [TABLE_SPEC.sortKey]: item[TABLE_SPEC.sortKey]!,
});

/** The keys a write request touches in `table`. */
function writtenKeys(operation: string, body: Record<string, unknown>, table: string): Key[] {
  switch (operation) {
    case 'PutItem':
      return body.TableName === table ? [keyOf(body.Item as Item)] : [];
    case 'UpdateItem':
    case 'DeleteItem':
      return body.TableName === table ? [body.Key as Key] : [];
    case 'BatchWriteItem': {
      const requests = (body.RequestItems as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Key } }[]>)[table] ?? [];
      return requests.map((r) => (r.PutRequest !== undefined ? keyOf(r.PutRequest.Item) : r.DeleteRequest!.Key));
    }
    case 'TransactWriteItems': {
      const keys: Key[] = [];
      for (const entry of body.TransactItems as Record<string, { TableName: string; Item?: Item; Key?: Key }>[]) {
        for (const [kind, op] of Object.entries(entry)) {
          if (kind === 'ConditionCheck' || op.TableName !== table) continue;
          keys.push(op.Item !== undefined ? keyOf(op.Item) : op.Key!);
        }
      }
      return keys;
    }
    default:
      return [];
  }
}

export class IndexLag {
  readonly viewName: string;
  private readonly clock: Clock;
  private pending: PendingWrite[] = [];
  private applying: Promise<void> = Promise.resolve();
  lagMs: number;

  private constructor(private readonly options: IndexLagOptions) {
    this.viewName = `${options.tableName}__index-view`;
    this.clock = options.clock ?? systemClock;
    this.lagMs = options.lagMs;
  }

  /**
   * Creates the delayed view (a copy of the table as it is now) and puts the middleware on the
   * clients' DynamoDB client.
   */
  static async enable(options: IndexLagOptions): Promise<IndexLag> {
    const lag = new IndexLag(options);
    await ensureTable({ ...options.clients, dynamo: options.raw }, lag.viewName);
    await lag.copyTable();
    options.clients.dynamo.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string>; body?: string | Uint8Array };
        const operation = operationOf(request.headers ?? {});
        const raw = request.body;
        if (operation === undefined || raw === undefined) return next(args);
        const body = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8')) as Record<string, unknown>;
        if ((operation === 'Query' || operation === 'Scan') && body.TableName === options.tableName && typeof body.IndexName === 'string') {
          await lag.catchUp();
          const text = JSON.stringify({ ...body, TableName: lag.viewName });
          request.body = text;
          request.headers['content-length'] = String(Buffer.byteLength(text));
          return next(args);
        }
        const result = await next(args);
        if (WRITES.has(operation)) await lag.recordWrites(writtenKeys(operation, body, options.tableName));
        return result;
      },
      { step: 'build', name: MIDDLEWARE, override: true },
    );
    return lag;
  }

  /** Stops lagging: later index reads go to the table itself. */
  disable(): void {
    this.options.clients.dynamo.middlewareStack.remove(MIDDLEWARE);
  }

  /** Writes not yet visible to index reads. */
  pendingCount(): number {
    return this.pending.length;
  }

  /** Applies to the view the writes whose lag has passed, in the order they happened. */
  catchUp(): Promise<void> {
    const run = this.applying.then(async () => {
      const now = this.clock.now();
      while (this.pending.length > 0 && this.pending[0]!.visibleAt <= now) {
        const write = this.pending.shift()!;
        const { raw } = this.options;
        if (write.image === undefined) await raw.send(new DeleteItemCommand({ TableName: this.viewName, Key: write.key }));
        else await raw.send(new PutItemCommand({ TableName: this.viewName, Item: write.image }));
      }
    });
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async recordWrites(keys: readonly Key[]): Promise<void> {
    const visibleAt = this.clock.now() + this.lagMs;
    for (const key of keys) {
      const out = await this.options.raw.send(new GetItemCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: true }));
      this.pending.push({ visibleAt, key, image: out.Item });
    }
  }

  private async copyTable(): Promise<void> {
    let startKey: Key | undefined;
    do {
      const page = await this.options.raw.send(
        new ScanCommand({ TableName: this.options.tableName, ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }) }),
      );
      for (const item of page.Items ?? []) await this.options.raw.send(new PutItemCommand({ TableName: this.viewName, Item: item }));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }
}
