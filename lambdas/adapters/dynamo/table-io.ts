/**
 * The DynamoDB calls every adapter of the single table shares: errors mapped to the domain, bounded parallel
 * writes, strongly consistent batched reads, full queries and list cursors.
 */
import { BatchGetCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { HeraldError, UnavailableError, ValidationError } from '../../core/errors';
import { decodeCursor, type Item } from './schema';

/** BatchGetItem takes at most 100 keys per request. */
const BATCH_GET_LIMIT = 100;
/** Rounds of re-requesting UnprocessedKeys before giving up (with exponential backoff between). */
const UNPROCESSED_ROUNDS = 8;

/** The message of the 503 a failed read or write turns into (publish uses its own, naming the Idempotency-Key). */
const STORE_UNAVAILABLE = 'the Herald store is unavailable; retry the request';

/**
 * Runs a store call and turns an SDK failure into an UnavailableError (503) that keeps the original as its
 * `cause` for the logs. HeraldErrors (a bad cursor, a conflict, a payload too large) pass through unchanged.
 */
export async function storeCall<T>(fn: () => Promise<T>, message = STORE_UNAVAILABLE): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof HeraldError) throw error;
    const unavailable = new UnavailableError(message);
    unavailable.cause = error;
    throw unavailable;
  }
}

/** Whether an SDK error is the failure of a ConditionExpression (an expected answer, not an outage). */
export function isConditionFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/** Runs `fn` over `items` with at most `limit` calls in flight; rejects with the first failure after all settle. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * BatchGetItem over any number of keys (duplicates allowed), strongly consistent unless `consistent` is false,
 * re-requesting UnprocessedKeys with backoff. Items come back in no particular order; missing keys are left out.
 */
export async function batchGet(
  doc: DynamoDBDocumentClient,
  table: string,
  keyList: readonly Item[],
  sleep: (ms: number) => Promise<void> = defaultSleep,
  consistent = true,
): Promise<Item[]> {
  const seen = new Set<string>();
  const unique = keyList.filter((k) => {
    const id = `${String(k.pk)}\u0000${String(k.sk)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const out: Item[] = [];
  for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
    let pending: Item[] = unique.slice(i, i + BATCH_GET_LIMIT);
    for (let round = 0; pending.length > 0; round++) {
      if (round >= UNPROCESSED_ROUNDS) {
        throw new Error(`DynamoDB left ${pending.length} key(s) unprocessed after ${UNPROCESSED_ROUNDS} rounds`);
      }
      if (round > 0) await sleep(Math.min(1000, 25 * 2 ** round));
      const res = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: consistent } } }));
      out.push(...((res.Responses?.[table] ?? []) as Item[]));
      pending = (res.UnprocessedKeys?.[table]?.Keys ?? []) as Item[];
    }
  }
  return out;
}

/** `batchGet`, with the items put back in the order of `keyList` (missing ones left out). */
export async function batchGetInOrder(doc: DynamoDBDocumentClient, table: string, keyList: readonly Item[]): Promise<Item[]> {
  const items = await batchGet(doc, table, keyList);
  const byKey = new Map(items.map((item) => [`${String(item.pk)}\u0000${String(item.sk)}`, item]));
  return keyList.flatMap((k) => {
    const item = byKey.get(`${String(k.pk)}\u0000${String(k.sk)}`);
    return item === undefined ? [] : [item];
  });
}

/** Every item of a query, all pages. */
export async function queryAll(doc: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/**
 * Decodes a list cursor and checks it has exactly the string fields of this list's positions, each at most 1,024
 * characters (and `check` passes), so a tampered or foreign cursor is a 400 instead of a DynamoDB validation
 * failure.
 */
export function decodeListCursor(cursor: string | undefined, fields: readonly string[], check: (position: Item) => boolean = () => true): Item | undefined {
  if (cursor === undefined) return undefined;
  const position = decodeCursor(cursor);
  const valid =
    position !== undefined &&
    Object.keys(position).sort().join() === [...fields].sort().join() &&
    Object.values(position).every((v) => typeof v === 'string' && v.length > 0 && v.length <= 1024) &&
    check(position);
  if (!valid) throw new ValidationError('invalid cursor', [{ path: 'cursor', message: 'is not a cursor of this list' }]);
  return position;
}
