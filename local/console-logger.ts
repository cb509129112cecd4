import type { Logger } from '../lambdas/logger';
import { redact } from '../lambdas/logger';

function value(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** One readable line per entry, `HH:MM:SS message key=value ...`, redacted like the JSON logger. */
export function formatLine(level: string, message: string, fields: Record<string, unknown> = {}, now = new Date()): string {
  const time = now.toISOString().slice(11, 19);
  const tag = level === 'info' ? '' : `${level.toUpperCase()} `;
  const rest = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ');
  return redact(`${time} ${tag}${message}${rest ? ` ${rest}` : ''}`);
}

/**
 * The logger of `npm start`: readable lines for a person at a terminal instead of CloudWatch's JSON. A sweep
 * that found nothing to do is not worth a line every ten seconds.
 */
export function consoleLogger(write: (line: string) => void = (l) => console.log(l)): Logger {
  return {
    info(message, fields = {}) {
      if (message === 'sweep done' && fields.found === 0 && fields.alertSummaries === 0) return;
      write(formatLine('info', message, fields));
    },
    warn(message, fields) {
      write(formatLine('warn', message, fields));
    },
    error(message, fields) {
      write(formatLine('error', message, fields));
    },
  };
}
