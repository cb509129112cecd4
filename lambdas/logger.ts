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

/** Writes JSON lines to stdout/stderr (CloudWatch Logs in AWS). */
export const jsonLogger: Logger = {
  info(message, fields = {}) {
    console.log(redact(JSON.stringify({ level: 'info', message, ...fields })));
  },
  warn(message, fields = {}) {
    console.warn(redact(JSON.stringify({ level: 'warn', message, ...fields })));
  },
  error(message, fields = {}) {
    console.error(redact(JSON.stringify({ level: 'error', message, ...fields })));
  },
};

/** One line naming an error (for log fields), redacted. */
export function errorText(error: unknown): string {
  return redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}
