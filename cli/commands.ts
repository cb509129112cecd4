/**
 * The commands of the `herald` CLI: each declares its usage, options and what it prints, and calls the typed
 * client (client/). Lists print tables, single objects `key  value` lines; `--json` prints the API's JSON.
 */
import type { DeliveryBody, EndpointBody, EndpointCreate, HeraldClient, Page } from '../client/index';
import { UsageError, type OptionSpecs, type Parsed } from './args';
import { record, table, type Output } from './output';

export interface CommandContext {
  /** The client, made on first use (so `--help` and usage errors need no URL). */
  readonly client: () => Promise<HeraldClient>;
  readonly output: Output;
  readonly json: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Command {
  /** `endpoints create`, `publish`, ... */
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly options: OptionSpecs;
  /** Positional argument names, required ones first; `[...]` ones optional. */
  readonly args: readonly string[];
  readonly run: (ctx: CommandContext, parsed: Parsed) => Promise<void>;
}

const ENDPOINT_COLUMNS = ['id', 'url', 'tenant', 'eventTypes', 'disabled', 'failing'] as const;
const DELIVERY_COLUMNS = ['id', 'status', 'eventType', 'endpointId', 'attemptCount', 'lastOutcome', 'nextAttemptAt', 'updatedAt'] as const;

const LIST_OPTIONS: OptionSpecs = {
  limit: { type: 'string', description: 'items per page, 1 to 100 (default 20)', valueName: 'N' },
  cursor: { type: 'string', description: 'the next-cursor printed by the previous page', valueName: 'CURSOR' },
};

const ENDPOINT_FIELD_OPTIONS: OptionSpecs = {
  description: { type: 'string', description: 'free text', valueName: 'TEXT' },
  'event-types': { type: 'string', description: 'comma-separated patterns: "*", a type, or "prefix.*"', valueName: 'LIST' },
  tenant: { type: 'string', description: 'the tenant it belongs to ("" for none)', valueName: 'T' },
  'retry-policy': { type: 'string', description: 'a retry policy as JSON, e.g. \'{"preset":"cryptr"}\'', valueName: 'JSON' },
  'timeout-ms': { type: 'string', description: 'per-attempt timeout, 1000 to 30000', valueName: 'MS' },
  header: { type: 'string', description: 'an extra header NAME=VALUE', valueName: 'NAME=VALUE', multiple: true },
  disabled: { type: 'boolean', description: 'disable it (receives nothing)' },
  enabled: { type: 'boolean', description: 'enable it' },
};

function str(parsed: Parsed, name: string): string | undefined {
  const value = parsed.options[name];
  return typeof value === 'string' ? value : undefined;
}

function jsonOption(parsed: Parsed, name: string): unknown {
  const text = str(parsed, name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--${name} is not valid JSON: ${(error as Error).message}`);
  }
}

function intOption(parsed: Parsed, name: string): number | undefined {
  const text = str(parsed, name);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number (got ${JSON.stringify(text)})`);
  return Number(text);
}

/** The endpoint fields given as options (the API checks them; the CLI only shapes them). */
function endpointFields(parsed: Parsed): Partial<EndpointCreate> {
  const fields: Partial<EndpointCreate> = {};
  const description = str(parsed, 'description');
  if (description !== undefined) fields.description = description;
  const types = str(parsed, 'event-types');
  if (types !== undefined) fields.eventTypes = types.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const tenant = str(parsed, 'tenant');
  if (tenant !== undefined) fields.tenant = tenant === '' ? null : tenant;
  const policy = jsonOption(parsed, 'retry-policy');
  if (policy !== undefined) fields.retryPolicy = policy as EndpointCreate['retryPolicy'];
  const timeout = intOption(parsed, 'timeout-ms');
  if (timeout !== undefined) fields.timeoutMs = timeout;
  const headers = parsed.options.header as string[] | undefined;
  if (headers !== undefined) {
    fields.headers = {};
    for (const h of headers) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw new UsageError(`--header must be NAME=VALUE (got ${JSON.stringify(h)})`);
      fields.headers[h.slice(0, eq)] = h.slice(eq + 1);
    }
  }
  if (parsed.options.disabled === true && parsed.options.enabled === true) throw new UsageError('--disabled and --enabled contradict each other');
  if (parsed.options.disabled === true) fields.disabled = true;
  if (parsed.options.enabled === true) fields.disabled = false;
  return fields;
}

function endpointRow(ep: EndpointBody): Record<string, unknown> {
  return { ...ep, eventTypes: ep.eventTypes.join(','), failing: ep.health.consecutiveFailures > 0 ? `${ep.health.consecutiveFailures} since ${ep.health.failingSince}` : null };
}

function deliveryRow(d: DeliveryBody): Record<string, unknown> {
  return { ...d, lastOutcome: d.lastOutcome === null ? null : d.lastOutcome.statusCode ?? d.lastOutcome.kind };
}

function printEndpoint(ctx: CommandContext, ep: EndpointBody): void {
  if (ctx.json) return ctx.output.out(JSON.stringify(ep, null, 2));
  ctx.output.out(record({ ...endpointRow(ep), retryPolicy: ep.retryPolicy, headers: ep.headers, createdAt: ep.createdAt, updatedAt: ep.updatedAt }, [
    'id', 'url', 'description', 'tenant', 'eventTypes', 'disabled', 'failing', 'retryPolicy', 'timeoutMs', 'headers', 'createdAt', 'updatedAt',
  ]));
  if (ep.secret !== undefined) ctx.output.out(`secret       ${ep.secret}\n(store it now: it is shown again only by rotate-secret)`);
}

function printPage<T>(ctx: CommandContext, page: Page<T>, row: (item: T) => Record<string, unknown>, columns: readonly string[]): void {
  if (ctx.json) return ctx.output.out(JSON.stringify(page, null, 2));
  ctx.output.out(table(page.data.map(row), columns));
  if (page.nextCursor !== null) ctx.output.out(`next page: --cursor ${page.nextCursor}`);
}

function printDelivery(ctx: CommandContext, d: DeliveryBody): void {
  if (ctx.json) return ctx.output.out(JSON.stringify(d, null, 2));
  ctx.output.out(record(deliveryRow(d), ['id', 'status', 'eventId', 'eventType', 'endpointId', 'tenant', 'attemptCount', 'lastOutcome', 'nextAttemptAt', 'finalReason', 'createdAt', 'updatedAt']));
  if (d.attempts !== undefined) {
    ctx.output.out('');
    ctx.output.out(
      table(
        d.attempts.map((a) => ({ ...a, result: a.statusCode ?? a.outcome, next: a.next.kind === 'retry' ? `retry at ${a.next.at} (${a.next.basis})` : a.next.kind === 'dead' ? `dead: ${a.next.detail}` : a.next.kind })),
        ['number', 'startedAt', 'result', 'latencyMs', 'error', 'next'],
      ),
    );
  }
}

const listQuery = (parsed: Parsed) => {
  const limit = intOption(parsed, 'limit');
  const cursor = str(parsed, 'cursor');
  return { ...(limit === undefined ? {} : { limit }), ...(cursor === undefined ? {} : { cursor }) };
};

export const COMMANDS: readonly Command[] = [
  {
    name: 'endpoints list',
    usage: 'herald endpoints list [--tenant T] [--limit N] [--cursor C]',
    summary: 'List endpoints',
    options: { tenant: { type: 'string', description: 'only this tenant ("" for endpoints without one)', valueName: 'T' }, ...LIST_OPTIONS },
    args: [],
    run: async (ctx, parsed) => {
      const tenant = str(parsed, 'tenant');
      const page = await (await ctx.client()).listEndpoints({ ...listQuery(parsed), ...(tenant === undefined ? {} : { tenant }) });
      printPage(ctx, page, endpointRow, ENDPOINT_COLUMNS);
    },
  },
  {
    name: 'endpoints get',
    usage: 'herald endpoints get ENDPOINT_ID',
    summary: 'Show one endpoint',
    options: {},
    args: ['ENDPOINT_ID'],
    run: async (ctx, parsed) => printEndpoint(ctx, await (await ctx.client()).getEndpoint(parsed.positionals[0] as string)),
  },
  {
    name: 'endpoints create',
    usage: 'herald endpoints create TARGET_URL [--event-types LIST] [--tenant T] [--retry-policy JSON] [--header NAME=VALUE]...',
    summary: 'Create an endpoint: deliveries are POSTed to TARGET_URL (prints its signing secret once)',
    options: ENDPOINT_FIELD_OPTIONS,
    args: ['TARGET_URL'],
    run: async (ctx, parsed) => {
      const url = parsed.positionals[0] as string;
      printEndpoint(ctx, await (await ctx.client()).createEndpoint({ url, ...endpointFields(parsed) }));
    },
  },
  {
    name: 'endpoints update',
    usage: 'herald endpoints update ENDPOINT_ID [--target-url URL] [--event-types LIST] [--disabled|--enabled] ...',
    summary: 'Change an endpoint',
    options: { 'target-url': { type: 'string', description: 'where deliveries are POSTed', valueName: 'URL' }, ...ENDPOINT_FIELD_OPTIONS },
    args: ['ENDPOINT_ID'],
    run: async (ctx, parsed) => {
      const url = str(parsed, 'target-url');
      const patch = { ...(url === undefined ? {} : { url }), ...endpointFields(parsed) };
      if (Object.keys(patch).length === 0) throw new UsageError('nothing to change: give at least one option');
      printEndpoint(ctx, await (await ctx.client()).updateEndpoint(parsed.positionals[0] as string, patch));
    },
  },
  {
    name: 'endpoints delete',
    usage: 'herald endpoints delete ENDPOINT_ID',
    summary: 'Delete an endpoint and cancel its pending deliveries',
    options: {},
    args: ['ENDPOINT_ID'],
    run: async (ctx, parsed) => {
      const result = await (await ctx.client()).deleteEndpoint(parsed.positionals[0] as string);
      ctx.output.out(ctx.json ? JSON.stringify(result, null, 2) : `deleted ${result.id} (${result.canceledDeliveries} pending deliveries canceled)`);
    },
  },
  {
    name: 'endpoints rotate-secret',
    usage: 'herald endpoints rotate-secret ENDPOINT_ID',
    summary: 'Rotate the signing secret (the old one keeps signing for 24 h)',
    options: {},
    args: ['ENDPOINT_ID'],
    run: async (ctx, parsed) => printEndpoint(ctx, await (await ctx.client()).rotateSecret(parsed.positionals[0] as string)),
  },
  {
    name: 'endpoints test',
    usage: 'herald endpoints test ENDPOINT_ID [--type TYPE]',
    summary: 'Send a test event to this endpoint only',
    options: { type: { type: 'string', description: 'the event type (default herald.test)', valueName: 'TYPE' } },
    args: ['ENDPOINT_ID'],
    run: async (ctx, parsed) => {
      const accepted = await (await ctx.client()).sendTestEvent(parsed.positionals[0] as string, str(parsed, 'type'));
      ctx.output.out(ctx.json ? JSON.stringify(accepted, null, 2) : `sent ${accepted.id} (${accepted.type}): delivery ${accepted.deliveries.map((d) => d.id).join(', ')}`);
    },
  },
  {
    name: 'publish',
    usage: "herald publish TYPE --data JSON [--tenant T] [--id ID] [--idempotency-key KEY]",
    summary: 'Publish an event',
    options: {
      data: { type: 'string', description: 'the payload, any JSON value', valueName: 'JSON' },
      tenant: { type: 'string', description: "deliver to this tenant's endpoints only", valueName: 'T' },
      id: { type: 'string', description: 'your own event id (also the idempotency key)', valueName: 'ID' },
      'idempotency-key': { type: 'string', description: 'retries with the same key are accepted once', valueName: 'KEY' },
    },
    args: ['TYPE'],
    run: async (ctx, parsed) => {
      const data = jsonOption(parsed, 'data');
      if (data === undefined) throw new UsageError('--data is required (any JSON value, e.g. \'{"id": 1}\')');
      const tenant = str(parsed, 'tenant');
      const id = str(parsed, 'id');
      const key = str(parsed, 'idempotency-key');
      const accepted = await (await ctx.client()).publish(
        { type: parsed.positionals[0] as string, data, ...(tenant === undefined ? {} : { tenant }), ...(id === undefined ? {} : { id }) },
        key === undefined ? {} : { idempotencyKey: key },
      );
      if (ctx.json) return ctx.output.out(JSON.stringify(accepted, null, 2));
      ctx.output.out(`accepted ${accepted.id} (${accepted.type})${accepted.replayed ? ', a replay of an earlier publish' : ''}`);
      ctx.output.out(table(accepted.deliveries, ['id', 'endpointId', 'status']));
    },
  },
  {
    name: 'events get',
    usage: 'herald events get EVENT_ID',
    summary: 'Show an event and its deliveries',
    options: {},
    args: ['EVENT_ID'],
    run: async (ctx, parsed) => {
      const event = await (await ctx.client()).getEvent(parsed.positionals[0] as string);
      if (ctx.json) return ctx.output.out(JSON.stringify(event, null, 2));
      ctx.output.out(record({ ...event, data: event.data }, ['id', 'type', 'tenant', 'createdAt', 'data']));
      ctx.output.out('');
      ctx.output.out(table(event.deliveries.map(deliveryRow), DELIVERY_COLUMNS));
    },
  },
  {
    name: 'deliveries get',
    usage: 'herald deliveries get DELIVERY_ID',
    summary: 'Show a delivery with every attempt',
    options: {},
    args: ['DELIVERY_ID'],
    run: async (ctx, parsed) => printDelivery(ctx, await (await ctx.client()).getDelivery(parsed.positionals[0] as string)),
  },
  {
    name: 'deliveries list',
    usage: 'herald deliveries list ENDPOINT_ID [--status STATUS] [--limit N] [--cursor C]',
    summary: "List an endpoint's deliveries, newest first",
    options: { status: { type: 'string', description: 'pending, retrying, delivered, dead, canceled or skipped', valueName: 'STATUS' }, ...LIST_OPTIONS },
    args: ['ENDPOINT_ID'],
    run: async (ctx, parsed) => {
      const status = str(parsed, 'status');
      const page = await (await ctx.client()).listEndpointDeliveries(parsed.positionals[0] as string, { ...listQuery(parsed), ...(status === undefined ? {} : { status }) });
      printPage(ctx, page, deliveryRow, DELIVERY_COLUMNS);
    },
  },
  {
    name: 'deliveries retry',
    usage: 'herald deliveries retry DELIVERY_ID',
    summary: 'Redeliver one delivery now',
    options: {},
    args: ['DELIVERY_ID'],
    run: async (ctx, parsed) => printDelivery(ctx, await (await ctx.client()).retryDelivery(parsed.positionals[0] as string)),
  },
  {
    name: 'recover',
    usage: 'herald recover ENDPOINT_ID --since TIME',
    summary: 'Redeliver every dead delivery of an endpoint since a time',
    options: { since: { type: 'string', description: 'an ISO-8601 time, e.g. 2026-12-01T00:00:00Z', valueName: 'TIME' } },
    args: ['ENDPOINT_ID'],
    run: async (ctx, parsed) => {
      const since = str(parsed, 'since');
      if (since === undefined) throw new UsageError('--since is required (an ISO-8601 time such as 2026-12-01T00:00:00Z)');
      const result = await (await ctx.client()).recover(parsed.positionals[0] as string, since);
      if (ctx.json) return ctx.output.out(JSON.stringify(result, null, 2));
      ctx.output.out(`redelivering ${result.count} deliveries${result.more ? ' (more remain: run it again)' : ''}`);
      for (const id of result.deliveryIds) ctx.output.out(`  ${id}`);
    },
  },
  {
    name: 'dead-letters',
    usage: 'herald dead-letters [--limit N] [--cursor C]',
    summary: 'List dead letters across endpoints',
    options: LIST_OPTIONS,
    args: [],
    run: async (ctx, parsed) => printPage(ctx, await (await ctx.client()).listDeadLetters(listQuery(parsed)), deliveryRow, DELIVERY_COLUMNS),
  },
  {
    name: 'portal-session',
    usage: 'herald portal-session TENANT [--title TEXT] [--ttl SECONDS]',
    summary: "Mint a portal session: a console link for one tenant's own endpoints and deliveries (admin)",
    options: {
      title: { type: 'string', description: 'shown at the top of the portal page', valueName: 'TEXT' },
      ttl: { type: 'string', description: 'how long it lasts, 60 to 86400 seconds (default 3600)', valueName: 'SECONDS' },
    },
    args: ['TENANT'],
    run: async (ctx, parsed) => {
      const title = str(parsed, 'title');
      const ttlSeconds = intOption(parsed, 'ttl');
      const session = await (await ctx.client()).createPortalSession(parsed.positionals[0] as string, {
        ...(title === undefined ? {} : { title }),
        ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      });
      if (ctx.json) return ctx.output.out(JSON.stringify(session, null, 2));
      ctx.output.out(record(session, ['url', 'expiresAt']));
    },
  },
];
