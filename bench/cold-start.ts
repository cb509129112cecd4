/**
 * Cold start: each Lambda bundled exactly as the stack bundles it (see support/bundle.ts), its size,
 * and the time to import and initialise it in a fresh Node process: the module graph is evaluated,
 * the configuration parsed from `HERALD_*` variables, the SDK clients and adapters built, as in a
 * Lambda init phase. Each sample is a new process; the figure is the median.
 *
 * The init must not touch the network (the api's Secrets Manager key is read on the first request,
 * not at import): the child counts socket connects during and just after the import, and a non-zero
 * count fails the benchmark.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Benchmark, BenchContext } from './support/context';
import { bundleLambdas, type BuiltBundle } from './support/bundle';
import { placeholderLambdaEnv } from './support/lambda-env';
import { median } from './support/stats';

const MIB = 1024 * 1024;
const DELIVER_BUNDLE_TARGET_BYTES = MIB;
const INIT_TARGET_MS = 150;

/** Imports the bundle given as argv[2] and prints how long that took, whether it exports a handler, and socket connects. */
const RUNNER = `import net from 'node:net';
import { performance } from 'node:perf_hooks';
let connects = 0;
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) { connects++; return connect.apply(this, args); };
const started = performance.now();
const mod = await import(process.argv[2]);
const initMs = performance.now() - started;
setTimeout(() => {
  process.stdout.write(JSON.stringify({ initMs, processStartMs: started, handler: typeof mod.handler, connects }));
}, 100);
`;

/** The environment the stack gives the functions (placeholder ARNs and URLs), plus what the Lambda runtime sets. */
export function lambdaEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'bench',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    ...placeholderLambdaEnv(),
  };
}

interface Sample {
  readonly initMs: number;
  readonly processStartMs: number;
  readonly handler: string;
  readonly connects: number;
}

function sample(runner: string, bundle: string, sourceMaps: boolean): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const args = [...(sourceMaps ? ['--enable-source-maps'] : []), runner, pathToFileURL(bundle).href];
    const child = spawn(process.execPath, args, { env: lambdaEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 || out === '') reject(new Error(`importing ${bundle} failed (exit ${code}): ${err.slice(0, 2000)}`));
      else resolve(JSON.parse(out) as Sample);
    });
  });
}

export const coldStart: Benchmark = {
  name: 'cold-start',
  summary: 'bundle size of each Lambda and median import+init time in a fresh process',
  params: [['coldstart.runs', 7, 3, 'fresh processes per bundle and mode; the figure is the median']],
  async run(ctx: BenchContext) {
    const runs = ctx.param('coldstart.runs');
    const dir = await mkdtemp(join(tmpdir(), 'herald-bench-bundles-'));
    try {
      const bundles: BuiltBundle[] = await bundleLambdas(dir);
      const runner = join(dir, 'runner.mjs');
      await writeFile(runner, RUNNER);
      const samples = new Map<string, Sample[]>();
      // Interleaved, so a burst of load elsewhere on the machine spreads over every bundle and mode.
      for (let i = 0; i < runs; i++) {
        for (const bundle of bundles) {
          for (const sourceMaps of [true, false]) {
            const s = await sample(runner, bundle.file, sourceMaps);
            if (s.handler !== 'function') throw new Error(`${bundle.name} bundle does not export a handler function`);
            if (s.connects > 0) throw new Error(`${bundle.name} bundle opened ${s.connects} connection(s) during init`);
            const key = `${bundle.name}:${sourceMaps}`;
            samples.set(key, [...(samples.get(key) ?? []), s]);
          }
        }
      }
      for (const bundle of bundles) {
        const withMaps = samples.get(`${bundle.name}:true`)!;
        const withoutMaps = samples.get(`${bundle.name}:false`)!;
        const target = bundle.name === 'deliver' ? ` (target < ${DELIVER_BUNDLE_TARGET_BYTES / 1024} KiB)` : '';
        ctx.report.figure(`cold-start.${bundle.name}.bundle`, bundle.bytes / 1024, `KiB minified${target}`);
        ctx.report.figure(`cold-start.${bundle.name}.init`, median(withMaps.map((s) => s.initMs)), `ms (target < ${INIT_TARGET_MS} ms)`);
        ctx.report.note(
          `source map ${(bundle.mapBytes / 1024).toFixed(0)} KiB; init without --enable-source-maps ${median(withoutMaps.map((s) => s.initMs)).toFixed(1)} ms; ` +
            `node start to import ${median(withMaps.map((s) => s.processStartMs)).toFixed(1)} ms; no connection opened during init`,
        );
      }
      ctx.report.note(
        `median of ${runs} fresh processes each, with --enable-source-maps as the stack sets it (NODE_OPTIONS); this machine is ${process.arch}, Lambda runs arm64`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
