/**
 * `npm run bench`: Herald's speed and cost, measured on this machine.
 *
 *   npm run bench                          every benchmark (about 2 minutes on 2 cores)
 *   npm run bench -- --quick               small N (under a minute)
 *   npm run bench -- --only cold-start     one benchmark (comma-separated or repeated for several)
 *   npm run bench -- --set overhead.deliveries=20000   change a size (see --help)
 *
 * Each figure is printed on its own line as `name: value unit`. Everything stops by itself: each
 * benchmark bounds its own counts and times, and a watchdog ends the process if the whole run
 * overstays its budget.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { awsCost } from './aws-cost';
import { coldStart } from './cold-start';
import { createContext, parseCli, type Benchmark } from './support/context';
import { deliveryOverhead } from './delivery-overhead';
import { endToEnd } from './end-to-end';
import { isolation } from './isolation';
import { quietSdkNodeWarning } from '../local/node-support';
import { publishApi } from './publish-api';
import { retryTiming } from './retry-timing';
import { consoleReporter } from './support/report';

const BENCHMARKS: readonly Benchmark[] = [deliveryOverhead, endToEnd, isolation, retryTiming, publishApi, coldStart, awsCost];

/** The CPU model from /proc/cpuinfo, or the platform when there is none. */
function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line !== undefined) return line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux
  }
  return `${process.platform}/${process.arch}`;
}

function help(): string {
  const lines = [
    'usage: npm run bench -- [--quick] [--only <name>[,<name>...]] [--set <param>=<n>]...',
    '',
    'benchmarks:',
    ...BENCHMARKS.map((b) => `  ${b.name.padEnd(18)} ${b.summary}`),
    '',
    'parameters (full default / --quick default):',
    ...BENCHMARKS.flatMap((b) => b.params.map(([name, full, quick, meaning]) => `  ${name.padEnd(28)} ${String(full).padStart(6)} / ${String(quick).padEnd(6)} ${meaning}`)),
  ];
  return lines.join('\n');
}

async function main(): Promise<number> {
  quietSdkNodeWarning();
  const options = parseCli(process.argv.slice(2));
  if (options.help) {
    console.log(help());
    return 0;
  }
  const unknown = (options.only ?? []).filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}\n\n${help()}`);
    return 2;
  }
  const known = new Set(BENCHMARKS.flatMap((b) => b.params.map(([name]) => name)));
  const badParams = [...options.overrides.keys()].filter((name) => !known.has(name));
  if (badParams.length > 0) {
    console.error(`unknown parameter(s): ${badParams.join(', ')}\n\n${help()}`);
    return 2;
  }
  const selected = BENCHMARKS.filter((b) => options.only === undefined || options.only.includes(b.name));

  // The budget is generous against the expected durations (a few minutes full, about a minute quick, on a quiet
  // machine; the cost cases wait for every attempt of a 15-attempt dead delivery).
  // The outage cost case and the retry-timing run (issue 11) added about two minutes full, one quick.
  const budgetMs = (options.quick ? 420 : 1200) * 1000;
  const watchdog = setTimeout(() => {
    console.error(`\nbenchmark run exceeded its ${budgetMs / 1000} s budget; stopping`);
    process.exit(3);
  }, budgetMs);
  watchdog.unref();

  const report = consoleReporter;
  const started = Date.now();
  console.log(`Herald benchmarks${options.quick ? ' (--quick)' : ''}`);
  console.log(`machine: ${availableParallelism()} cores (nproc), ${cpuModel()}, node ${process.version}, ${process.platform}/${process.arch}`);
  let failures = 0;
  for (const benchmark of selected) {
    report.heading(`${benchmark.name}: ${benchmark.summary}`);
    const t0 = Date.now();
    try {
      await benchmark.run(createContext(options, report, benchmark));
      report.note(`(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failures++;
      console.error(`${benchmark.name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  console.log(`\n${selected.length - failures}/${selected.length} benchmarks completed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
