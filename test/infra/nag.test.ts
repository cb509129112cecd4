import * as fs from 'node:fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { synthHerald, type Synthesized } from './herald-template';

type Report = ReturnType<AwsSolutionsChecks['validateScope']>;

let synthesized: Synthesized;
let report: Report;

beforeAll(() => {
  // Every optional resource present: the e-mail subscription and the operational webhook's secret.
  synthesized = synthHerald({ alertEmail: 'ops@example.com', operationalWebhookUrl: 'https://ops.example.com/herald' });
  // Template.fromStack has synthesized the app, so aspects and lazy policies are final here.
  report = new AwsSolutionsChecks(synthesized.app, { verbose: true }).validateScope(synthesized.stack);
});

/** Every acknowledgment recorded under a construct: rule id → reason. */
function acknowledgments(root: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(`${construct.node.path} ${id.replace(/^annotation::/i, '')}`, reason);
      }
    }
  }
  return found;
}

describe('GIVEN the Herald stack WHEN checked with cdk-nag AwsSolutions', () => {
  it('THEN there is no unacknowledged finding, error or warning', () => {
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('THEN exactly these findings are acknowledged, each where it arises and with its reason', () => {
    const acknowledged = acknowledgments(synthesized.stack);
    const group = synthesized.stack.retryScheduler.groupName;
    expect([...acknowledged.keys()].sort()).toEqual(
      [
        'Herald/Api/ApiKey AwsSolutions-SMG4',
        'Herald/Api/Function AwsSolutions-L1',
        // GetMetricData has no resource-level permissions: the api's one statement with "*" is that action alone.
        'Herald/Api/FunctionRole AwsSolutions-IAM5[Resource::*]',
        'Herald/Api/HttpApi AwsSolutions-APIG4',
        'Herald/Api/HttpApi AwsSolutions-COG4',
        'Herald/Api/PortalSessionSecret AwsSolutions-SMG4',
        'Herald/OperationalWebhook/SigningSecret AwsSolutions-SMG4',
        'Herald/Sweeper/Function AwsSolutions-L1',
        'Herald/Worker/Function AwsSolutions-L1',
        // One finding, named exactly: not the whole IAM5 rule for the role.
        `Herald/Worker/FunctionRole AwsSolutions-IAM5[Resource::arn:aws:scheduler:eu-west-1:123456789012:schedule/${group}/*]`,
      ].sort(),
    );
    for (const [where, reason] of acknowledged) {
      expect(reason.length, where).toBeGreaterThanOrEqual(60);
    }
  });
});

describe('the cdk-nag check itself', () => {
  it('fails if a resource breaks a rule: an SQS queue without TLS enforcement and without a DLQ is reported', () => {
    const app = new App();
    const stack = new Stack(app, 'Probe');
    new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    const probe = new AwsSolutionsChecks(app).validateScope(stack);
    expect(probe.success).toBe(false);
    expect(probe.violations.map((v) => v.ruleName).sort()).toEqual(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']);
  });
});

describe('the CDK app (bin/herald.ts)', () => {
  it('fails synth if any resource breaks an AwsSolutions rule: the checks are registered on the app', async () => {
    // Bundling skipped; no CDK_OUTDIR, so the app synthesizes only when asked, into a temp dir.
    vi.stubEnv('CDK_CONTEXT_JSON', JSON.stringify({ 'aws:cdk:bundling-stacks': [] }));
    vi.stubEnv('CDK_OUTDIR', undefined);
    const { app } = await import('../../bin/herald');
    vi.unstubAllEnvs();
    try {
      expect(app.synth().getStackByName('Herald').templateFile).toBe('Herald.template.json');
      const stack = app.node.findChild('Herald') as Stack;
      new sqs.Queue(stack, 'Probe', { encryption: sqs.QueueEncryption.SQS_MANAGED });
      expect(() => app.synth({ force: true })).toThrow(/AwsSolutions-SQS4/);
    } finally {
      fs.rmSync(app.outdir, { recursive: true, force: true });
    }
  });
});
