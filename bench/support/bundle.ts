/**
 * Builds the Lambda bundles the way the stack does. `HeraldFunction` (lib/constructs/herald-function.ts)
 * hands NodejsFunction these bundling settings, which it turns into the esbuild command
 * `esbuild --bundle <entry> --target=node22 --platform=node --format=esm --outfile=index.mjs --minify
 * --sourcemap --sources-content=false --main-fields=module,main --banner:js=<require shim>` with no
 * externals. The construct does not export them, so they are repeated here; keep the two in step.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The same banner as HeraldFunction's: bundled CommonJS dependencies may call `require`. */
export const REQUIRE_SHIM =
  "import { createRequire as __heraldCreateRequire } from 'module'; const require = __heraldCreateRequire(import.meta.url);";

/** The handler entry of each Lambda, relative to the repository root. */
export const LAMBDA_ENTRIES = {
  api: 'lambdas/api/handler.ts',
  deliver: 'lambdas/deliver/handler.ts',
  sweep: 'lambdas/sweep/handler.ts',
} as const;

export type LambdaName = keyof typeof LAMBDA_ENTRIES;

/** esbuild options equal to NodejsFunction's for HeraldFunction's `bundling`. */
export function lambdaBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    absWorkingDir: REPO_ROOT,
    entryPoints: [join(REPO_ROOT, entry)],
    bundle: true,
    target: 'node22',
    platform: 'node',
    format: 'esm',
    outfile,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_SHIM },
    external: [],
    logLevel: 'warning',
  };
}

export interface BuiltBundle {
  readonly name: LambdaName;
  /** The bundle (index.mjs) */
  readonly file: string;
  readonly bytes: number;
  /** Its source map, deployed alongside it. */
  readonly mapBytes: number;
}

/** Bundles every Lambda into `<outDir>/<name>/index.mjs`. */
export async function bundleLambdas(outDir: string): Promise<BuiltBundle[]> {
  const out: BuiltBundle[] = [];
  for (const [name, entry] of Object.entries(LAMBDA_ENTRIES) as [LambdaName, string][]) {
    const file = join(outDir, name, 'index.mjs');
    await build(lambdaBuildOptions(entry, file));
    out.push({ name, file, bytes: (await stat(file)).size, mapBytes: (await stat(`${file}.map`)).size });
  }
  return out;
}
