/**
 * Child processes that tests start run in their own process group, and are stopped by group: a
 * signal to the group reaches every process under it (npm, sh, tsx's wrapper, node, esbuild's
 * service), where a signal to the child alone would leave the ones below it running.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** Spawns `command` as the leader of a new process group (`detached`), so {@link killGroup} reaches all of it. */
export function spawnGroup(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(command, args, { ...options, detached: true });
}

/** Whether any process of the group led by `pid` is still running. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to every process of the child's group; false when the group is already gone. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `signal` to the group, waits until no process of it is left, and SIGKILLs the group if
 * that takes longer than `graceMs`. Resolves once the group is gone.
 */
export async function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL', graceMs = 15_000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  signalGroup(child, signal);
  const started = Date.now();
  let forced = signal === 'SIGKILL';
  while (groupAlive(pid)) {
    if (!forced && Date.now() - started > graceMs) {
      signalGroup(child, 'SIGKILL');
      forced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
