/**
 * Counts the AWS calls of local runs by instrumenting the SDK clients (a middleware on each client's
 * stack, tagged with who owns the client: the api function, the deliver function, the event source
 * mapping, the Scheduler service), and measures what each call is billed for:
 *
 * - SQS and SNS: requests in 64 KB chunks of payload; SQS messages sent or received.
 * - DynamoDB reads: capacity units from the sizes of the items returned (per item for BatchGetItem
 *   and GetItem, summed for Query; strongly or eventually consistent as requested, indexes always
 *   eventually consistent; a key that is not found costs the minimum).
 * - DynamoDB writes (when `capacity` is on): the item is read before and after each write by a
 *   separate, uninstrumented client, and the units follow from the two images by the AWS rules
 *   (cost-model.ts): the table write (larger image, 1 KB units) plus each global secondary index the
 *   item enters, leaves, moves in or changes in. A failed conditional write costs a write of the
 *   existing item. The units are also computed as if every index were KEYS_ONLY (what the deployed
 *   projections are today; the figure stays to show any that is not). dynalite does not report
 *   ConsumedCapacity, hence the images.
 *
 * The images cost time, so a run that measures Lambda durations leaves `capacity` off.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_SPEC } from '../../lib/spec';
import { indexWriteUnits, itemSize, readUnits, requestChunks, tableWriteUnits, type NativeItem } from './cost-model';

export type Service = 'dynamodb' | 'sqs' | 'sns' | 'scheduler';

export interface MeteredCall {
  /** Whose client made it: `api`, `deliver`, `event-source-mapping`, `scheduler-service`. */
  readonly role: string;
  readonly service: Service;
  /** The API action, e.g. `UpdateItem`, `SendMessageBatch`. */
  readonly command: string;
  /** Billed requests (payload chunks for SQS/SNS, 1 otherwise). */
  readonly requests: number;
  /** SQS messages sent or received by the call. */
  readonly messages: number;
  readonly readUnits: number;
  /** Write units with the indexes as deployed (TABLE_SPEC's projections); 0 unless `capacity` was on. */
  readonly writeUnits: number;
  /** Write units had every index been KEYS_ONLY; 0 unless `capacity` was on. */
  readonly writeUnitsKeysOnly: number;
  readonly failed: boolean;
}

const TABLE_KEYS = [TABLE_SPEC.partitionKey, TABLE_SPEC.sortKey];
const CHUNK = 65_536;

type Input = Record<string, unknown>;
type Next = (args: { input: Input }) => Promise<{ output: Record<string, unknown> }>;
/** Any SDK v3 client (its middleware stack's typings differ per package, so only the shape used here is named). */
interface Instrumentable {
  readonly middlewareStack: object;
}
type AddMiddleware = { add(middleware: unknown, options: { step: 'build'; name: string }): void };

function bytes(text: unknown): number {
  return typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : 0;
}

/** The table key of a marshalled Key or Item (Herald's keys are strings). */
function keyOf(input: Input): NativeItem | undefined {
  const source = (input.Key ?? input.Item) as Record<string, { S?: string }> | undefined;
  if (source === undefined) return undefined;
  const key: Record<string, string> = {};
  for (const name of TABLE_KEYS) {
    const value = source[name]?.S;
    if (value === undefined) return undefined;
    key[name] = value;
  }
  return key;
}

function isWrite(command: string): boolean {
  return command === 'PutItem' || command === 'UpdateItem' || command === 'DeleteItem';
}

export class AwsMeter {
  readonly calls: MeteredCall[] = [];
  /** Measure DynamoDB write units from item images (slows every write down). */
  capacity = false;

  constructor(private readonly probe: DynamoDBDocumentClient) {}

  reset(): void {
    this.calls.length = 0;
  }

  /** Adds the meter to a client: every command it sends from now on is recorded under `role`. */
  instrument(client: Instrumentable, role: string, service: Service): void {
    const middleware = (next: Next, context: { commandName?: string }) => async (args: { input: Input }) => {
      const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      if (service === 'dynamodb') return this.dynamo(next, args, role, command);
      let output: { output: Record<string, unknown> };
      try {
        output = await next(args);
      } catch (error) {
        this.calls.push({ role, service, command, requests: 1, messages: 0, readUnits: 0, writeUnits: 0, writeUnitsKeysOnly: 0, failed: true });
        throw error;
      }
      const { requests, messages } = billedRequests(service, command, args.input, output.output);
      this.calls.push({ role, service, command, requests, messages, readUnits: 0, writeUnits: 0, writeUnitsKeysOnly: 0, failed: false });
      return output;
    };
    // The build step sees the marshalled input and, on the way back, the unmarshalled output.
    (client.middlewareStack as AddMiddleware).add(middleware, { step: 'build', name: `herald-bench-meter-${role}` });
  }

  private async image(table: string, key: NativeItem | undefined): Promise<NativeItem | undefined> {
    if (key === undefined) return undefined;
    const out = await this.probe.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  private async dynamo(next: Next, args: { input: Input }, role: string, command: string) {
    const base = { role, service: 'dynamodb' as const, command, requests: 1, messages: 0 };
    const write = this.capacity && isWrite(command);
    const table = String(args.input.TableName ?? '');
    const key = keyOf(args.input);
    const before = write ? await this.image(table, key) : undefined;
    let output: { output: Record<string, unknown> };
    try {
      output = await next(args);
    } catch (error) {
      const units = write ? tableWriteUnits(before, undefined) : 0;
      this.calls.push({ ...base, readUnits: 0, writeUnits: units, writeUnitsKeysOnly: units, failed: true });
      throw error;
    }
    let writeUnits = 0;
    let writeUnitsKeysOnly = 0;
    if (write) {
      const after = await this.image(table, key);
      const tableUnits = tableWriteUnits(before, after);
      writeUnits = tableUnits;
      writeUnitsKeysOnly = tableUnits;
      for (const index of TABLE_SPEC.globalSecondaryIndexes) {
        writeUnits += indexWriteUnits(before, after, index, TABLE_KEYS, index.projection);
        writeUnitsKeysOnly += indexWriteUnits(before, after, index, TABLE_KEYS, 'KEYS_ONLY');
      }
    }
    this.calls.push({ ...base, readUnits: consumedReadUnits(command, args.input, output.output), writeUnits, writeUnitsKeysOnly, failed: false });
    return output;
  }
}

/** Read units of a read command from the items it returned. */
function consumedReadUnits(command: string, input: Input, output: Record<string, unknown>): number {
  switch (command) {
    case 'GetItem':
      return readUnits(itemSize(output.Item as NativeItem | undefined), input.ConsistentRead === true ? 'strong' : 'eventual');
    case 'BatchGetItem': {
      let units = 0;
      const requested = (input.RequestItems ?? {}) as Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }>;
      const responses = (output.Responses ?? {}) as Record<string, NativeItem[]>;
      const unprocessed = (output.UnprocessedKeys ?? {}) as Record<string, { Keys?: unknown[] }>;
      for (const [table, request] of Object.entries(requested)) {
        const consistency = request.ConsistentRead === true ? 'strong' : 'eventual';
        const items = responses[table] ?? [];
        for (const item of items) units += readUnits(itemSize(item), consistency);
        const missing = (request.Keys?.length ?? 0) - items.length - (unprocessed[table]?.Keys?.length ?? 0);
        units += Math.max(0, missing) * readUnits(0, consistency);
      }
      return units;
    }
    case 'Query':
    case 'Scan': {
      const total = ((output.Items ?? []) as NativeItem[]).reduce((sum, item) => sum + itemSize(item), 0);
      const consistency = input.ConsistentRead === true && input.IndexName === undefined ? 'strong' : 'eventual';
      return readUnits(total, consistency);
    }
    default:
      return 0;
  }
}

/** Billed requests and messages of an SQS, SNS or Scheduler call. */
function billedRequests(service: Service, command: string, input: Input, output: Record<string, unknown>): { requests: number; messages: number } {
  if (service === 'sqs') {
    switch (command) {
      case 'SendMessage':
        return { requests: requestChunks(bytes(input.MessageBody), CHUNK), messages: 1 };
      case 'SendMessageBatch': {
        const entries = (input.Entries ?? []) as { MessageBody?: string }[];
        return { requests: requestChunks(entries.reduce((sum, e) => sum + bytes(e.MessageBody), 0), CHUNK), messages: entries.length };
      }
      case 'ReceiveMessage': {
        const messages = (output.Messages ?? []) as { Body?: string }[];
        return { requests: requestChunks(messages.reduce((sum, m) => sum + bytes(m.Body), 0), CHUNK), messages: messages.length };
      }
      default:
        return { requests: 1, messages: 0 };
    }
  }
  if (service === 'sns' && command === 'Publish') {
    return { requests: requestChunks(bytes(input.Message) + bytes(input.Subject), CHUNK), messages: 0 };
  }
  return { requests: 1, messages: 0 };
}
