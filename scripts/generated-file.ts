/**
 * Checked-in generated files (the console's assets module, openapi.json): write them, or with `--check` say
 * whether the committed copy is stale. One rule for both, so CI and the tests treat them alike.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Writes `rendered` to `file`, or with `--check` in `argv` compares it with what is there (a missing file is
 * stale). Returns the process exit code: 1 when stale, else 0.
 */
export function writeOrCheck(file: string, rendered: string, argv: readonly string[], messages: { readonly stale: string; readonly fresh: string; readonly wrote: string }): number {
  if (argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(file, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (committed !== rendered) {
      console.error(messages.stale);
      return 1;
    }
    console.log(messages.fresh);
    return 0;
  }
  writeFileSync(file, rendered);
  console.log(messages.wrote);
  return 0;
}
