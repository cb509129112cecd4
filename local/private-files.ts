/**
 * Local mode's data folder holds the table (every endpoint's headers and sealed secrets), the schedules, the
 * development API key and the local master key. It is private to the user who runs Herald: folders 0700, files 0600.
 */
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** The umask that makes every file the process creates 0600 and every folder 0700. */
export const PRIVATE_UMASK = 0o077;

/**
 * Creates `dir` (and its parents) 0700, and takes group and other access away from everything already in it, so a
 * data folder written by an older Herald (0644 files in a 0755 folder) is private from this start on.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  restrict(dir);
}

function restrict(dir: string): void {
  chmodSync(dir, PRIVATE_DIR_MODE);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) restrict(path);
    else if (entry.isFile()) chmodSync(path, PRIVATE_FILE_MODE);
  }
}
