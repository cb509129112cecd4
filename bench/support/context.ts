/**
 * What every benchmark receives: the mode (`--quick` for small N), numeric overrides
 * (`--set overhead.deliveries=2000`) and where to print.
 */
import { parseArgs } from 'node:util';
import type { Reporter } from './report';

export interface BenchContext {
  readonly quick: boolean;
  readonly report: Reporter;
  /**
   * A size of the run: the `--set <name>=<n>` override when given, else the benchmark's quick or
   * full default from its `params` (so `--help` lists exactly what is read).
   */
  param(name: string): number;
}

export interface Benchmark {
  readonly name: string;
  readonly summary: string;
  /** `name` of each parameter it reads, with its full and quick defaults (for `--help`). */
  readonly params: readonly (readonly [name: string, full: number, quick: number, meaning: string])[];
  run(context: BenchContext): Promise<void>;
}

export interface CliOptions {
  readonly only: readonly string[] | undefined;
  readonly quick: boolean;
  readonly help: boolean;
  readonly overrides: ReadonlyMap<string, number>;
}

/** Parses `--only a,b` (repeatable), `--quick`, `--set name=n` (repeatable) and `--help`. */
export function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      set: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const overrides = new Map<string, number>();
  for (const entry of values.set ?? []) {
    const match = /^([\w.-]+)=(\d+(?:\.\d+)?)$/.exec(entry);
    if (match === null) throw new Error(`--set expects name=number, got "${entry}"`);
    overrides.set(match[1]!, Number(match[2]));
  }
  const only = values.only?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  return { only: only === undefined || only.length === 0 ? undefined : only, quick: values.quick ?? false, help: values.help ?? false, overrides };
}

/** The context of one benchmark over the parsed options (the runner has already refused unknown `--set` names). */
export function createContext(options: CliOptions, report: Reporter, benchmark: Pick<Benchmark, 'name' | 'params'>): BenchContext {
  return {
    quick: options.quick,
    report,
    param(name) {
      const declared = benchmark.params.find(([n]) => n === name);
      if (declared === undefined) throw new Error(`${benchmark.name} reads parameter ${name} but does not declare it`);
      return options.overrides.get(name) ?? (options.quick ? declared[2] : declared[1]);
    },
  };
}
