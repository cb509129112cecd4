/**
 * One Herald per data folder. dynalite's LevelDB files and the Scheduler emulator's file take no
 * lock of their own that Herald could report: a second `npm start` on the same folder would die
 * deep inside LevelDB with a stack trace. A pid file in the folder says who holds it, so the second
 * start can say so in one line.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'herald.pid';

/** The data folder is held by another running process. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`another Herald is using this data folder (pid ${pid}): ${dataDir}`);
  }
}

export interface DataLock {
  /** Removes the pid file (only if it is still this process's). */
  release(): void;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data folder for this process: creates `herald.pid` holding the pid, exclusively. A pid
 * file left by a process that no longer runs (killed with SIGKILL, a crash) is taken over.
 *
 * @throws DataDirInUseError when a running process holds the folder
 */
export function lockDataDir(dataDir: string, pid: number = process.pid): DataLock {
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${pid}\n`, { flag: 'wx' });
      return {
        release: () => {
          if (holder(file) === pid) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const other = holder(file);
    if (other !== undefined && other !== pid && running(other)) throw new DataDirInUseError(dataDir, other);
    // Stale (or half-written by a start that died at once): remove it and try again.
    rmSync(file, { force: true });
  }
  throw new Error(`could not take the data folder ${dataDir} (${LOCK_FILE} keeps reappearing)`);
}
