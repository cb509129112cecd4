/**
 * Runs `local/main.ts` as a child process, the way a user does, for end-to-end tests: as `npm start` runs it
 * (`node --import tsx local/main.ts`), or through `npm start` itself. The child leads its own process group, and is
 * stopped by group, so nothing under it (tsx's node, esbuild's service) outlives the test.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { SDK_NODE_WARNING_SWITCH } from '../../local/node-support';
import { groupAlive, killGroup, spawnGroup } from './process-group';

const ROOT = resolve(import.meta.dirname, '../..');

/** How the process is started: `node --import tsx local/main.ts` (what `npm start` execs), or `npm start` itself. */
export type Launcher = 'node' | 'npm';

export interface LocalProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process printed on stdout so far. */
  output(): string;
  /** Resolves once `pattern` appears in stdout (after `from` characters), or rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** Everything the process printed on stderr so far. */
  errors(): string;
  /**
   * Sends a signal to the whole process group (as Ctrl-C does to a terminal's foreground group) and waits until
   * every process of it has exited (SIGKILL after 15 s); returns the leader's exit code (null when killed).
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Sends a signal to the leader only (as a process manager does) and waits for the leader's exit. */
  signalLeader(signal: NodeJS.Signals): Promise<number | null>;
  /** Whether any process of the group is still running. */
  alive(): boolean;
}

export async function startLocalProcess(env: Record<string, string>, timeoutMs = 60_000, launcher: Launcher = 'node'): Promise<LocalProcess> {
  const [command, args] = launcher === 'npm' ? ['npm', ['start', '--silent']] : [process.execPath, ['--import', 'tsx', 'local/main.ts']];
  // Without the test runner's switch for the SDK's Node 20 warning: local mode must keep it quiet itself.
  const { [SDK_NODE_WARNING_SWITCH]: _switch, ...inherited } = process.env;
  const child = spawnGroup(command, args, {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));

  const waitForOutput = (pattern: RegExp, wait = 30_000, from = 0) =>
    new Promise<string>((res, rej) => {
      const started = Date.now();
      const check = () => {
        const m = out.slice(from).match(pattern);
        if (m) return res(m[0]);
        if (child.exitCode !== null) return rej(new Error(`local mode exited (${child.exitCode}) before printing ${pattern}:\n${out}\n${err}`));
        if (Date.now() - started > wait) return rej(new Error(`timed out waiting for ${pattern}; output:\n${out}\n${err}`));
        setTimeout(check, 50);
      };
      check();
    });

  let line: string;
  try {
    line = await waitForOutput(/Herald listening on (http:\/\/\S+)/, timeoutMs);
  } catch (error) {
    await killGroup(child);
    throw error;
  }
  const url = line.replace('Herald listening on ', '');
  return {
    child,
    url,
    output: () => out,
    errors: () => err,
    waitForOutput,
    async stop(signal = 'SIGINT') {
      await killGroup(child, signal);
      return exited;
    },
    async signalLeader(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    alive: () => child.pid !== undefined && groupAlive(child.pid),
  };
}
