/**
 * Starts Herald in local mode inside the test process (the real api, deliver and sweep handlers on dynalite,
 * fauxqs and the Scheduler emulator) with its logs and printed alerts captured instead of written out, plus a
 * second set of SDK clients for the test's own look at the queues and the table: faults injected into Herald's
 * clients never touch these.
 */
import { localClients, type AwsClients } from '../../../local/emulators';
import { startLocalHerald, type LocalHerald, type LocalHeraldOptions } from '../../../local/herald-local';
import type { Logger } from '../../../lambdas/logger';
import { heraldApi, parseAlert, type HeraldApi, type PrintedAlert } from './herald-api';

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** Counts every line by level and keeps the warnings and errors (the info lines of a chaos run are thousands). */
export class CapturingLogger implements Logger {
  readonly counts = { info: 0, warn: 0, error: 0 };
  readonly kept: LogLine[] = [];
  info(): void {
    this.counts.info++;
  }
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.counts.warn++;
    if (this.kept.length < 5000) this.kept.push({ level: 'warn', message, fields });
  }
  error(message: string, fields: Record<string, unknown> = {}): void {
    this.counts.error++;
    if (this.kept.length < 5000) this.kept.push({ level: 'error', message, fields });
  }
  errors(): LogLine[] {
    return this.kept.filter((l) => l.level === 'error');
  }
  /** Distinct messages of the kept lines of a level, with how often each was seen. */
  summary(level: 'warn' | 'error'): Record<string, number> {
    const out: Record<string, number> = {};
    for (const l of this.kept) if (l.level === level) out[l.message] = (out[l.message] ?? 0) + 1;
    return out;
  }
}

export interface TestHerald {
  readonly herald: LocalHerald;
  readonly api: HeraldApi;
  readonly logger: CapturingLogger;
  /** Alerts printed so far (what would have been e-mailed), parsed. */
  readonly alerts: PrintedAlert[];
  /** The test's own clients on the same emulators. */
  readonly clients: AwsClients;
  stop(): Promise<void>;
}

export const TEST_KEY = 'hk_reliability_0123456789abcdef';

/** Local mode on free ports with captured logs and alerts. */
export async function startTestHerald(options: Omit<LocalHeraldOptions, 'port' | 'apiKey' | 'logger' | 'printAlert'> = {}): Promise<TestHerald> {
  const logger = new CapturingLogger();
  const alerts: PrintedAlert[] = [];
  const herald = await startLocalHerald({ ...options, port: 0, apiKey: TEST_KEY, logger, printMetrics: options.printMetrics ?? (() => undefined), printAlert: (text) => alerts.push(parseAlert(text)) });
  const clients = localClients(herald.emulators.dynamoEndpoint, herald.emulators.sqsEndpoint);
  return {
    herald,
    api: heraldApi(herald.url, TEST_KEY),
    logger,
    alerts,
    clients,
    async stop() {
      await herald.stop();
      clients.dynamo.destroy();
      clients.sqs.destroy();
      clients.sns.destroy();
    },
  };
}
