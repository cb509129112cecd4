/**
 * The handlers' side of the Metrics port: where EMF lines go, and the middleware that publishes an invocation's
 * metrics when it ends.
 */
import type { MiddlewareObj } from '@middy/core';
import type { Metrics } from './ports/metrics';

/** Writes one line to stdout: where Lambda's log agent picks up EMF documents. */
export function stdoutLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Publishes the invocation's metrics when it ends, whether it succeeded or failed: buffered per invocation, so a
 * batch of ten deliveries writes a couple of lines, not ten.
 */
export function flushMetrics<E, R>(metrics: Metrics): MiddlewareObj<E, R> {
  return {
    after: () => metrics.flush(),
    onError: () => metrics.flush(),
  };
}
