/**
 * Builds the Lambda bundles the way the stack does. `HeraldFunction` (lib/constructs/herald-function.ts)
 * hands NodejsFunction its exported `HERALD_BUNDLING` settings, which NodejsFunction turns into the
 * esbuild command `esbuild --bundle <entry> --target=node22 --platform=node --format=esm
 * --outfile=index.mjs --minify --sourcemap --sources-content=false --main-fields=module,main
 * --banner:js=<require shim>` with no externals; the same settings are mapped to the esbuild API here.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { HERALD_BUNDLING, REQUIRE_SHIM } from '../../lib/constructs/herald-function';

export { REQUIRE_SHIM };

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The handler entry of each Lambda, relative to the repository root. */
export const LAMBDA_ENTRIES = {
  api: 'lambdas/api/handler.ts',
  deliver: 'lambdas/deliver/handler.ts',
  sweep: 'lambdas/sweep/handler.ts',
} as const;

export type LambdaName = keyof typeof LAMBDA_ENTRIES;

/** esbuild options equal to NodejsFunction's for HeraldFunction's `bundling`. */
export function lambdaBuildOptions(entry: string, outfile: string): BuildOptions {
  const b = HERALD_BUNDLING;
  return {
    absWorkingDir: REPO_ROOT,
    entryPoints: [join(REPO_ROOT, entry)],
    bundle: true,
    target: b.target,
    platform: b.platform,
    format: b.format,
    outfile,
    minify: b.minify,
    sourcemap: b.sourceMap,
    sourcesContent: b.sourcesContent,
    mainFields: [...b.mainFields],
    banner: { js: b.banner },
    external: [...b.externalModules],
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
