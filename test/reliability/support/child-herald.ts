/**
 * Herald's local mode as a separate process, started the way `npm start` starts it (local/main.ts under tsx), so
 * a test can kill it with SIGKILL (no shutdown code runs, fauxqs's in-memory queues are lost, dynalite keeps what
 * reached its files) and start it again on the same data directory.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killGroup, spawnGroup } from '../../support/process-group';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ChildHerald {
  readonly url: string;
  readonly process: ChildProcess;
  /** The last lines the process wrote (stdout and stderr), for failure messages. */
  output(): string;
  /** Deliveries the startup recovery and each sweep run re-enqueued (from their log lines), the startup first. */
  requeuedBySweeps(): number[];
  /** SIGKILL to its whole process group, then waits until every process of it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop), then waits until every process of its group is gone. */
  stop(): Promise<void>;
}

export interface ChildHeraldOptions {
  readonly apiKey: string;
  readonly dataDir: string;
  /** Further HERALD_* settings. */
  readonly settings?: Readonly<Record<string, string>>;
  /** How long to wait for "Herald listening on". @default 60 s */
  readonly startTimeoutMs?: number;
}

/**
 * Starts `node --import tsx local/main.ts` (what `npm start` runs, without npm and tsx's own wrapper process, so
 * the signal reaches Herald itself) on a free port and resolves once it prints its URL.
 */
export function startChildHerald(options: ChildHeraldOptions): Promise<ChildHerald> {
  const env: Record<string, string> = {};
  // The suites' store switch passes through (HERALD_DYNAMODB, HERALD_DYNAMODB_LOCAL_JAR); no other HERALD_* setting does.
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && (!k.startsWith('HERALD_') || k.startsWith('HERALD_DYNAMODB'))) env[k] = v;
  Object.assign(env, {
    PORT: '0',
    HERALD_API_KEY: options.apiKey,
    HERALD_DATA_DIR: options.dataDir,
    HERALD_ALLOW_PRIVATE_TARGETS: 'true',
    NODE_NO_WARNINGS: '1',
    ...options.settings,
  });
  const child = spawnGroup(process.execPath, ['--import', 'tsx', 'local/main.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const requeued: number[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      lines.push(line);
      // The startup recovery's scan and every sweep run log how many deliveries they put back on the queue.
      const swept = /(?:sweep done|startup recovery re-enqueued waiting deliveries) .*\brequeued=(\d+)/.exec(line);
      if (swept !== null) requeued.push(Number(swept[1]));
    }
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waitExit = async (signal: NodeJS.Signals) => {
    await killGroup(child, signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void killGroup(child);
      reject(new Error(`local Herald did not start within ${options.startTimeoutMs ?? 60_000} ms:\n${lines.join('\n')}`));
    }, options.startTimeoutMs ?? 60_000);
    child.stderr!.on('data', keep);
    let listening = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (listening) return;
      const match = /Herald listening on (http:\/\/\S+)/.exec(lines.join('\n'));
      if (match !== null) {
        listening = true;
        clearTimeout(timer);
        resolve({
          url: match[1]!,
          process: child,
          output: () => lines.join('\n'),
          requeuedBySweeps: () => [...requeued],
          kill: () => waitExit('SIGKILL'),
          stop: () => waitExit('SIGTERM'),
        });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`local Herald exited (${code ?? signal}) before listening:\n${lines.join('\n')}`));
    });
  });
}
