/**
 * Structured (one JSON line) logging for every handler. Anything that looks like a signing secret or a
 * bearer token is masked before it is written, so a secret that slips into an error message never reaches the
 * logs.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/whsec_[A-Za-z0-9+/=]+/g, 'whsec_[redacted]'],
  [/(bearer\s+)[^\s"',;]+/gi, '$1[redacted]'],
];

/** Masks signing secrets and bearer tokens in a string. */
export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** The loggable facts of an error (name, message, stack, and the same of its cause), redacted. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: redact(String(error)) };
  return {
    errorName: error.name,
    errorMessage: redact(error.message),
    ...(error.stack === undefined ? {} : { stack: redact(error.stack) }),
    ...(error.cause === undefined ? {} : { cause: errorFields(error.cause) }),
  };
}

/**
 * Writes JSON lines to stdout (info) and stderr (warn, error): CloudWatch Logs in AWS. The lines are written to the
 * streams directly, not through `console`, so Lambda passes each one on exactly as written, one log event of pure
 * JSON whatever the function's log format: in the JSON format Lambda wraps only what goes through `console` (in the
 * text format it prefixes a timestamp, the request id and the level). The stack runs the functions in the JSON format
 * with the WARN system level, which drops Lambda's START/END/REPORT lines (lib/constructs/herald-function.ts).
 */
export const jsonLogger: Logger = {
  info(message, fields = {}) {
    process.stdout.write(`${redact(JSON.stringify({ level: 'info', message, ...fields }))}\n`);
  },
  warn(message, fields = {}) {
    process.stderr.write(`${redact(JSON.stringify({ level: 'warn', message, ...fields }))}\n`);
  },
  error(message, fields = {}) {
    process.stderr.write(`${redact(JSON.stringify({ level: 'error', message, ...fields }))}\n`);
  },
};

/** One line naming an error (for log fields), redacted. */
export function errorText(error: unknown): string {
  return redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}
