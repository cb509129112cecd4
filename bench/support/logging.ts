/**
 * Loggers for benchmark runs: the handlers' structured logs are formatted exactly as in Lambda
 * (one redacted JSON line per entry, the work Herald really does) and counted, but not printed, so
 * the benchmark output stays readable and the byte count feeds the CloudWatch Logs cost line.
 */
import { redact, type Logger } from '../../lambdas/logger';

export interface CountingLogger {
  readonly logger: Logger;
  /** Lines and bytes (newline included) that would have reached CloudWatch Logs. */
  readonly written: { lines: number; bytes: number };
  /** Counts a raw line (an EMF metrics document) the same way. */
  line(text: string): void;
  reset(): void;
}

/** A logger that formats each entry like `jsonLogger` and only counts the result. */
export function countingLogger(): CountingLogger {
  const written = { lines: 0, bytes: 0 };
  const line = (text: string) => {
    written.lines += 1;
    written.bytes += Buffer.byteLength(text, 'utf8') + 1;
  };
  const write = (level: string) => (message: string, fields: Record<string, unknown> = {}) => {
    line(redact(JSON.stringify({ level, message, ...fields })));
  };
  return {
    logger: { info: write('info'), warn: write('warn'), error: write('error') },
    written,
    line,
    reset() {
      written.lines = 0;
      written.bytes = 0;
    },
  };
}
