/**
 * The `herald` CLI: finds the command, parses its options, connects (flags, environment or --stack), runs it
 * and maps the outcome to an exit code: 0 success, 1 an API or network error (status, code and message on
 * stderr), 2 a usage error.
 */
import { HeraldApiError, HeraldClient } from '../client/index';
import { optionsHelp, parseArgs, UsageError, type OptionSpecs } from './args';
import { COMMANDS, type Command, type CommandContext } from './commands';
import { awsStackReader, resolveConnection, type StackReader } from './connection';
import { doctor } from './doctor';
import type { Output } from './output';
import { tail } from './tail';

export const GLOBAL_OPTIONS: OptionSpecs = {
  url: { type: 'string', description: 'the API base URL (or HERALD_URL)', valueName: 'URL' },
  'api-key': { type: 'string', description: 'the API key (or HERALD_API_KEY)', valueName: 'KEY' },
  stack: { type: 'string', description: "read the URL and key from a deployed stack's outputs (AWS credentials needed)", valueName: 'NAME' },
  region: { type: 'string', description: 'the AWS region of --stack (default: the AWS environment)', valueName: 'REGION' },
  json: { type: 'boolean', description: "print the API's JSON instead of tables" },
  help: { type: 'boolean', description: 'show help' },
};

export interface MainIo extends Output {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** @default the AWS SDK */
  readonly stackReader?: (region: string | undefined) => StackReader;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Stops `tail` (the CLI wires Ctrl-C to it). */
  readonly signal?: AbortSignal;
}

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

const EXTRA_COMMANDS: readonly Command[] = [
  {
    name: 'tail',
    usage: 'herald tail [--endpoint ENDPOINT_ID]... [--interval MS]',
    summary: 'Follow new delivery attempts live (Ctrl-C to stop)',
    options: {
      endpoint: { type: 'string', description: 'only this endpoint', valueName: 'ENDPOINT_ID', multiple: true },
      interval: { type: 'string', description: 'poll every MS milliseconds (default 2000)', valueName: 'MS' },
    },
    args: [],
    run: async (ctx, parsed) => {
      const interval = parsed.options.interval === undefined ? 2000 : Number(parsed.options.interval);
      if (!Number.isInteger(interval) || interval < 100) throw new UsageError('--interval must be a whole number of milliseconds, at least 100');
      const signal = (ctx as CommandContext & { signal: AbortSignal }).signal;
      await tail(await ctx.client(), ctx.output, {
        endpointIds: (parsed.options.endpoint as string[] | undefined) ?? [],
        intervalMs: interval,
        json: ctx.json,
        signal,
        sleep: abortableSleep,
      });
    },
  },
  {
    name: 'doctor',
    usage: 'herald doctor [--receiver-url URL]',
    summary: 'Check the API, the key, the clock, and make a real signed round trip with a 503 and its retry',
    options: {
      'receiver-url': { type: 'string', description: 'a public receiver, for deployments that refuse private targets', valueName: 'URL' },
      wait: { type: 'string', description: 'seconds to wait for each delivery (default 30)', valueName: 'S' },
    },
    args: [],
    run: async (ctx, parsed) => {
      const wait = parsed.options.wait === undefined ? 30 : Number(parsed.options.wait);
      if (!(wait > 0)) throw new UsageError('--wait must be a positive number of seconds');
      const client = await ctx.client();
      const url = (ctx as CommandContext & { url: () => string }).url();
      const receiverUrl = parsed.options['receiver-url'] as string | undefined;
      const steps = await doctor(client, ctx.output, { url, json: ctx.json, waitMs: wait * 1000, ...(receiverUrl === undefined ? {} : { receiverUrl }) });
      if (ctx.json) ctx.output.out(JSON.stringify(steps, null, 2));
      if (steps.some((s) => !s.ok)) throw new DoctorFailedError(steps.filter((s) => !s.ok).length);
    },
  },
];

export const ALL_COMMANDS: readonly Command[] = [...COMMANDS, ...EXTRA_COMMANDS];

/** Doctor found problems: exit 1, the steps already say what. */
class DoctorFailedError extends Error {
  constructor(readonly failures: number) {
    super(`${failures} check${failures === 1 ? '' : 's'} failed`);
  }
}

function commandHelp(command: Command): string {
  return [
    command.summary,
    '',
    `usage: ${command.usage}`,
    ...(Object.keys(command.options).length > 0 ? ['', 'options:', optionsHelp(command.options)] : []),
    '',
    'global options:',
    optionsHelp(GLOBAL_OPTIONS),
  ].join('\n');
}

export function mainHelp(): string {
  const width = Math.max(...ALL_COMMANDS.map((c) => c.name.length));
  return [
    'herald: the command line of the Herald webhook API',
    '',
    'usage: herald COMMAND [ARGS] [OPTIONS]',
    '',
    'commands:',
    ...ALL_COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'global options:',
    optionsHelp(GLOBAL_OPTIONS),
    '',
    'Run `herald COMMAND --help` for the options of a command. Exit codes: 0 success, 1 API or network error, 2 usage error.',
  ].join('\n');
}

/** Finds the command named by the leading words of argv (`endpoints create ...`). */
function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  for (const command of ALL_COMMANDS) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: MainIo): Promise<number> {
  const found = findCommand(argv);
  if (found === undefined) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.out(mainHelp());
      return 0;
    }
    const group = ALL_COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (group.length > 0 && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) {
      io[argv.length === 1 ? 'err' : 'out'](group.map((c) => `usage: ${c.usage}\n  ${c.summary}`).join('\n'));
      return argv.length === 1 ? 2 : 0;
    }
    io.err(`herald: unknown command "${argv.slice(0, group.length > 0 ? 2 : 1).join(' ')}"\n\n${mainHelp()}`);
    return 2;
  }
  const { command, rest } = found;
  try {
    const parsed = parseArgs(rest, { ...GLOBAL_OPTIONS, ...command.options });
    if (parsed.options.help === true) {
      io.out(commandHelp(command));
      return 0;
    }
    const required = command.args.filter((a) => !a.startsWith('['));
    if (parsed.positionals.length < required.length) throw new UsageError(`missing ${required.slice(parsed.positionals.length).join(' ')}`);
    if (parsed.positionals.length > command.args.length) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[command.args.length])}`);

    let client: HeraldClient | undefined;
    let url = '';
    const str = (name: string) => (typeof parsed.options[name] === 'string' ? (parsed.options[name] as string) : undefined);
    const ctx: CommandContext & { signal: AbortSignal; url: () => string } = {
      output: io,
      json: parsed.options.json === true,
      env: io.env,
      signal: io.signal ?? new AbortController().signal,
      url: () => url,
      client: async () => {
        if (client === undefined) {
          const connection = await resolveConnection({
            url: str('url'),
            apiKey: str('api-key'),
            stack: str('stack'),
            env: io.env,
            stackReader: () => (io.stackReader ?? awsStackReader)(str('region')),
          });
          url = connection.url;
          client = new HeraldClient({ url: connection.url, ...(connection.apiKey === undefined ? {} : { apiKey: connection.apiKey }), ...(io.fetch ? { fetch: io.fetch } : {}) });
        }
        return client;
      },
    };
    await command.run(ctx, parsed);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`herald ${command.name}: ${error.message}\nusage: ${command.usage}\n(see herald ${command.name} --help)`);
      return 2;
    }
    if (error instanceof DoctorFailedError) {
      io.err(`herald doctor: ${error.message}`);
      return 1;
    }
    if (error instanceof HeraldApiError) {
      io.err(apiErrorText(error));
      return 1;
    }
    io.err(`herald ${command.name}: ${(error as Error).message}`);
    return 1;
  }
}

/** `error: 401 unauthorized: missing or invalid API key`, the field details, and a hint for a refused key. */
export function apiErrorText(error: HeraldApiError): string {
  const lines = [error.status === 0 ? `error: ${error.code}: ${error.message}` : `error: ${error.status} ${error.code}: ${error.message}`];
  for (const d of error.details) lines.push(`  ${d.path === '' ? '(body)' : d.path}: ${d.message}`);
  if (error.status === 401) lines.push('the API key was refused or missing: check --api-key / HERALD_API_KEY (or --stack)');
  return lines.join('\n');
}
