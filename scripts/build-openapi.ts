/**
 * Writes openapi.json, the OpenAPI 3.1 document of the HTTP API rendered from lambdas/api/schemas, at the
 * repository root: checked in so that clients and reviewers can read the contract without running anything.
 *
 * Usage: `npm run build:openapi` (= `tsx scripts/build-openapi.ts`); `--check` exits 1 when openapi.json is stale.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openApiJson } from '../lambdas/api/schemas/openapi';
import { writeOrCheck } from './generated-file';

export const OPENAPI_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'openapi.json');

function main(argv: readonly string[]): number {
  return writeOrCheck(OPENAPI_FILE, openApiJson(), argv, {
    stale: 'openapi.json is stale: run `npm run build:openapi`',
    fresh: 'openapi.json is up to date',
    wrote: `wrote ${OPENAPI_FILE}`,
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
