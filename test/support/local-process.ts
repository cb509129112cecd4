/**
 * Runs `local/main.ts` (what `npm start` runs) as a child process, the way a user does, for end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');

export interface LocalProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process printed on stdout so far. */
  output(): string;
  /** Resolves once `pattern` appears in stdout (after `from` characters), or rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** Sends a signal and waits for the exit; returns the exit code (null when killed by the signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startLocalProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<LocalProcess> {
  const child = spawn(TSX, ['local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
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

  const line = await waitForOutput(/Herald listening on (http:\/\/\S+)/, timeoutMs);
  const url = line.replace('Herald listening on ', '');
  return {
    child,
    url,
    output: () => out,
    waitForOutput,
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
