import { describe, expect, it } from 'vitest';
import { ALL_COMMANDS, main, type MainIo } from '../../../cli/main';
import { resolveConnection, type StackReader } from '../../../cli/connection';
import { parseArgs, UsageError } from '../../../cli/args';
import { table } from '../../../cli/output';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function run(argv: string[], options: { env?: Record<string, string>; answers?: (Response | Error)[]; stackReader?: StackReader } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const requests: { url: string; init: RequestInit }[] = [];
  const answers = options.answers ?? [json(200, { data: [], nextCursor: null })];
  const io: MainIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: options.env ?? { HERALD_URL: 'http://herald.test', HERALD_API_KEY: 'k' },
    fetch: (async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (answer instanceof Error) throw answer;
      return answer.clone();
    }) as unknown as typeof fetch,
    ...(options.stackReader ? { stackReader: () => options.stackReader! } : {}),
  };
  return main(argv, io).then((code) => ({ code, out: out.join('\n'), err: err.join('\n'), requests }));
}

describe('herald CLI', () => {
  it.each(ALL_COMMANDS.map((c) => c.name))('`herald %s --help` prints its usage and exits 0 without a URL', async (name) => {
    const result = await run([...name.split(' '), '--help'], { env: {} });
    expect(result.code).toBe(0);
    expect(result.out).toContain(`usage: herald ${name}`);
    expect(result.out).toContain('--api-key');
    expect(result.requests).toHaveLength(0);
  });

  it('prints the command list for `herald --help` and a group for `herald endpoints --help`', async () => {
    expect((await run(['--help'])).out).toContain('endpoints rotate-secret');
    const group = await run(['endpoints', '--help']);
    expect([group.code, group.out.split('\n').filter((l) => l.startsWith('usage:')).length]).toEqual([0, 7]);
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['endpoints', 'get'], 'missing ENDPOINT_ID'],
    [['endpoints', 'get', 'ep_1', 'ep_2'], 'unexpected argument "ep_2"'],
    [['endpoints', 'list', '--colour', 'red'], 'unknown option --colour'],
    [['publish', 'a.b'], '--data is required'],
    [['publish', 'a.b', '--data', '{nope'], '--data is not valid JSON'],
    [['publish', 'a.b', '--data'], '--data needs a value'],
    [['endpoints', 'create', 'https://x', '--header', 'novalue'], '--header must be NAME=VALUE'],
    [['endpoints', 'list', '--limit', 'ten'], '--limit must be a whole number'],
    [['endpoints', 'update', 'ep_1'], 'nothing to change'],
    [['recover', 'ep_1'], '--since is required'],
    [['tail', '--interval', '5'], '--interval must be'],
  ])('%j is a usage error (exit 2): %s', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(result.requests).toHaveLength(0);
  });

  it('is a usage error (exit 2) to give no URL at all', async () => {
    const result = await run(['endpoints', 'list'], { env: {} });
    expect(result.code).toBe(2);
    expect(result.err).toContain('no API URL: pass --url URL, set HERALD_URL, or pass --stack NAME');
  });

  it('exits 1 with status, code and message on stderr for an API error, and says when the key is wrong', async () => {
    const result = await run(['endpoints', 'list', '--api-key', 'wrong'], { answers: [json(401, { error: { code: 'unauthorized', message: 'missing or invalid API key', details: [] } })] });
    expect(result.code).toBe(1);
    expect(result.err).toContain('error: 401 unauthorized: missing or invalid API key');
    expect(result.err).toContain('the API key was refused');
    expect(result.requests[0]!.init.headers).toMatchObject({ authorization: 'Bearer wrong' });

    const invalid = await run(['endpoints', 'create', 'ftp://x'], {
      answers: [json(400, { error: { code: 'validation_failed', message: 'invalid endpoint', details: [{ path: 'url', message: 'URL scheme must be https or http, got ftp' }] } })],
    });
    expect([invalid.code, invalid.err]).toEqual([1, 'error: 400 validation_failed: invalid endpoint\n  url: URL scheme must be https or http, got ftp']);
  });

  it('exits 1 on a network error', async () => {
    const result = await run(['events', 'get', 'evt_1'], { answers: [Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })] });
    expect(result.code).toBe(1);
    expect(result.err).toContain('could not reach http://herald.test: ECONNREFUSED');
  });

  it('prints tables by default and the API JSON with --json', async () => {
    const page = { data: [{ id: 'ep_1', url: 'https://a.example', tenant: null, eventTypes: ['*'], disabled: false, health: { consecutiveFailures: 0 } }], nextCursor: 'c2' };
    const tableRun = await run(['endpoints', 'list'], { answers: [json(200, page)] });
    expect(tableRun.out).toBe('ID    URL                TENANT  EVENTTYPES  DISABLED  FAILING\nep_1  https://a.example  -       *           false     -\nnext page: --cursor c2');
    const jsonRun = await run(['endpoints', 'list', '--json'], { answers: [json(200, page)] });
    expect(JSON.parse(jsonRun.out)).toEqual(page);
  });

  it('mints a portal session and prints its link and expiry (the token only inside the link)', async () => {
    const session = { token: 'hps_abc.def', url: 'https://api.example/console/#portal=hps_abc.def', expiresAt: '2026-12-01T01:00:00.000Z' };
    const result = await run(['portal-session', 'acme', '--title', 'Acme webhooks', '--ttl', '600'], { answers: [json(201, session)] });
    expect(result.code).toBe(0);
    expect(result.requests[0]!.url).toBe('http://herald.test/v1/tenants/acme/portal-sessions');
    expect(JSON.parse(result.requests[0]!.init.body as string)).toEqual({ title: 'Acme webhooks', ttlSeconds: 600 });
    expect(result.out).toMatch(/^url\s+https:\/\/api\.example\/console\/#portal=hps_abc\.def\nexpiresAt\s+2026-12-01T01:00:00\.000Z$/);
    expect((await run(['portal-session', 'acme', '--ttl', 'soon'])).err).toContain('--ttl must be a whole number');
  });

  it('sends publish options as the API expects them', async () => {
    const result = await run(['publish', 'order.paid', '--data', '{"n":1}', '--tenant', 'acme', '--id', 'o-1', '--idempotency-key', 'key-1'], {
      answers: [json(202, { id: 'o-1', type: 'order.paid', tenant: 'acme', createdAt: '2026-12-01T00:00:00.000Z', deliveries: [] })],
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.requests[0]!.init.body as string)).toEqual({ type: 'order.paid', data: { n: 1 }, tenant: 'acme', id: 'o-1' });
    expect(result.requests[0]!.init.headers).toMatchObject({ 'idempotency-key': 'key-1' });
    expect(result.out).toContain('accepted o-1 (order.paid)');
  });
});

describe('connection', () => {
  const reader = (outputs: Record<string, string>, secret = '{"apiKey":"from-secret"}'): StackReader & { asked: string[] } => {
    const asked: string[] = [];
    return {
      asked,
      outputs: async (name) => {
        asked.push(`stack ${name}`);
        return outputs;
      },
      secret: async (arn) => {
        asked.push(`secret ${arn}`);
        return secret;
      },
    };
  };

  it('reads --stack outputs and the key from the secret they name', async () => {
    const r = reader({ ApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/', ApiKeySecretArn: 'arn:secret' });
    expect(await resolveConnection({ stack: 'Herald', env: {}, stackReader: () => r })).toEqual({ url: 'https://abc.execute-api.eu-west-1.amazonaws.com/', apiKey: 'from-secret' });
    expect(r.asked).toEqual(['stack Herald', 'secret arn:secret']);
  });

  it('lets flags win over the stack and the stack over the environment', async () => {
    const r = reader({ ApiUrl: 'https://stack.example/', ApiKeySecretArn: 'arn:secret' });
    expect(await resolveConnection({ stack: 'Herald', apiKey: 'flag-key', env: { HERALD_URL: 'http://env', HERALD_API_KEY: 'env-key' }, stackReader: () => r })).toEqual({
      url: 'https://stack.example/',
      apiKey: 'flag-key',
    });
    expect(r.asked).toEqual(['stack Herald']);
    expect(await resolveConnection({ env: { HERALD_URL: 'http://env', HERALD_API_KEY: 'env-key' }, stackReader: () => r })).toEqual({ url: 'http://env', apiKey: 'env-key' });
  });

  it('says what is wrong with a stack that is not a Herald stack', async () => {
    await expect(resolveConnection({ stack: 'Other', env: {}, stackReader: () => reader({}) })).rejects.toThrow('stack Other has no ApiUrl output');
  });

  it('uses --stack through the CLI with an injected reader', async () => {
    const r = reader({ ApiUrl: 'https://stack.example', ApiKeySecretArn: 'arn:secret' }, 'plain-key');
    const result = await run(['dead-letters', '--stack', 'Herald'], { env: {}, stackReader: r });
    expect(result.code).toBe(0);
    expect(result.requests[0]!.url).toBe('https://stack.example/v1/deliveries?status=dead');
    expect(result.requests[0]!.init.headers).toMatchObject({ authorization: 'Bearer plain-key' });
  });
});

describe('argument parsing and tables', () => {
  it('parses --name value, --name=value, repeatable options and --', () => {
    const specs = { a: { type: 'string', description: '' }, h: { type: 'string', description: '', multiple: true }, b: { type: 'boolean', description: '' } } as const;
    expect(parseArgs(['x', '--a=1', '--h', 'k=v', '--h', 'l=w', '--b', '--', '--not-an-option'], specs)).toEqual({
      positionals: ['x', '--not-an-option'],
      options: { a: '1', h: ['k=v', 'l=w'], b: true },
    });
    expect(() => parseArgs(['--b=1'], specs)).toThrow(UsageError);
  });

  it('aligns table columns and renders null as -', () => {
    expect(table([{ a: 'x', b: null }, { a: 'longer', b: 2 }], ['a', 'b'])).toBe('A       B\nx       -\nlonger  2');
  });
});
