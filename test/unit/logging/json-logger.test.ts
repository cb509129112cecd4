import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonLogger } from '../../../lambdas/logger';

describe('jsonLogger', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes each line straight to stdout (info) or stderr (warn, error) as one JSON document, secrets masked', () => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
    const log = vi.spyOn(console, 'log');
    jsonLogger.info('attempt', { deliveryId: 'dlv_1', header: 'Bearer abc.def' });
    jsonLogger.warn('slow', { ms: 5 });
    jsonLogger.error('failed', { error: 'whsec_c2VjcmV0' });
    // Not through console: Lambda's JSON log format would wrap a console line in an envelope of its own.
    expect(log).not.toHaveBeenCalled();
    expect(out).toEqual([`${JSON.stringify({ level: 'info', message: 'attempt', deliveryId: 'dlv_1', header: 'Bearer [redacted]' })}\n`]);
    expect(err.map((l) => JSON.parse(l) as unknown)).toEqual([
      { level: 'warn', message: 'slow', ms: 5 },
      { level: 'error', message: 'failed', error: 'whsec_[redacted]' },
    ]);
  });
});
