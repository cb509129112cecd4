/**
 * AWS's own DynamoDB Local (1.25, a Java program) as local mode's DynamoDB instead of dynalite: a second, stricter
 * emulator the test suites can run on (`HERALD_DYNAMODB=dynamodb-local`). It checks what dynalite lets through
 * (unused expression attribute values, key sizes, transaction rules) and answers `ReturnValuesOnConditionCheckFailure`.
 *
 * It is opt-in and needs Java 17: `npm start` runs on dynalite and needs no Java. The jar ships inside the npm
 * package amplify-dynamodb-simulator; `npm run fetch:dynamodb-local` unpacks it into `.cache/dynamodb-local`
 * (scripts/fetch-dynamodb-local.sh) without installing that package's own dependencies.
 *
 * DynamoDB Local has no bind-address option: it listens on every interface. It is started on a random port, with
 * CORS limited to an origin no page has (so no web page can call it) and telemetry off; use it on a trusted machine.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';

/** Which DynamoDB local mode runs on. */
export type LocalDynamo = 'dynalite' | 'dynamodb-local';

/** Where the jar is unless `HERALD_DYNAMODB_LOCAL_JAR` says otherwise (what the fetch script writes). */
export const DEFAULT_DYNAMODB_LOCAL_JAR = resolve('.cache/dynamodb-local/DynamoDBLocal.jar');

/** `HERALD_DYNAMODB`: dynalite (default) or dynamodb-local; anything else is refused by name. */
export function localDynamoOf(env: Readonly<Record<string, string | undefined>>): LocalDynamo {
  const value = env.HERALD_DYNAMODB ?? '';
  if (value === '' || value === 'dynalite') return 'dynalite';
  if (value === 'dynamodb-local') return 'dynamodb-local';
  throw new Error(`HERALD_DYNAMODB must be dynalite or dynamodb-local, not "${value}"`);
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** The jar; default HERALD_DYNAMODB_LOCAL_JAR or DEFAULT_DYNAMODB_LOCAL_JAR. */
  readonly jar?: string;
  /** Keep the tables in this folder (DynamoDB Local's -dbPath); in memory when absent. */
  readonly dataDir?: string;
  /** Port; 0 (default) picks a free one. */
  readonly port?: number;
  /** How long to wait for it to answer. @default 60 s */
  readonly startTimeoutMs?: number;
}

/**
 * Starts DynamoDB Local and resolves once its port accepts connections. The Java process is tied to this one: it is
 * started through a shell that kills it when this process's pipe to it closes, so even a SIGKILL of this process
 * leaves no Java behind.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const jar = resolve(options.jar ?? process.env.HERALD_DYNAMODB_LOCAL_JAR ?? DEFAULT_DYNAMODB_LOCAL_JAR);
  if (!existsSync(jar)) throw new Error(`DynamoDB Local is not at ${jar}: run npm run fetch:dynamodb-local (needs Java 17 to run)`);
  const port = options.port || (await freePort());
  const args = [
    `-Djava.library.path=${join(jar, '..', 'DynamoDBLocal_lib')}`,
    '-Xmx512m',
    '-jar',
    jar,
    '-port',
    String(port),
    '-disableTelemetry',
    // No page may call it: CORS answers only an origin nobody serves.
    '-cors',
    'http://127.0.0.1:1',
    ...(options.dataDir === undefined ? ['-inMemory'] : ['-dbPath', options.dataDir]),
  ];
  // The watchdog shell: java in the background, then wait for stdin to close (this process ended, however it ended).
  const script = 'java "$@" & pid=$!; trap "kill $pid 2>/dev/null" EXIT; cat >/dev/null; exit 0';
  // Run in the jar's folder: DynamoDB Local writes a metadata file into its working directory.
  const child = spawn('/bin/sh', ['-c', script, 'sh', ...args], { cwd: dirname(jar), stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    child.stdin.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    child.kill('SIGKILL');
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`DynamoDB Local did not start on port ${port}: ${stderr.trim() || 'no output (is Java 17 installed?)'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { endpoint: `http://127.0.0.1:${port}`, stop };
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}
