/**
 * Command-line parsing for the `herald` CLI: options declared per command, `--name value` or `--name=value`,
 * repeatable options, positionals in order. Anything not declared is a usage error (exit 2), never ignored.
 */

/** A wrong command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  /** May be given more than once (values collected in order). */
  readonly multiple?: boolean;
  /** Shown in the help as `--name VALUE`. */
  readonly valueName?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface Parsed {
  readonly positionals: string[];
  readonly options: Record<string, string | boolean | string[] | undefined>;
}

/**
 * Splits `argv` into positionals and the declared options.
 *
 * @throws UsageError on an undeclared option, a missing value, or a boolean given a value
 */
export function parseArgs(argv: readonly string[], specs: OptionSpecs): Parsed {
  const positionals: string[] = [];
  const options: Parsed['options'] = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      if (arg.startsWith('-') && arg.length > 1 && arg !== '-h') throw new UsageError(`unknown option ${arg}`);
      if (arg === '-h') options.help = true;
      else positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = specs[name];
    if (spec === undefined) throw new UsageError(`unknown option --${name}`);
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`--${name} needs a value`);
      i++;
    }
    if (spec.multiple) options[name] = [...((options[name] as string[] | undefined) ?? []), value];
    else options[name] = value;
  }
  return { positionals, options };
}

/** The help text of a list of options, aligned. */
export function optionsHelp(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => [`--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`, spec.description + (spec.multiple ? ' (repeatable)' : '')] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
}
