/**
 * Runs the real CDK app (`bin/herald.ts`) the way `cdk synth` does: a separate process, context in
 * CDK_CONTEXT_JSON, output to CDK_OUTDIR, real esbuild bundling, cdk-nag as a validation plugin,
 * no AWS credentials and no Docker.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/constructs/herald-function';
import { cdkJsonContext } from './herald-template';

const run = promisify(execFile);
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs bin/herald.ts with the given context into `outdir`, with no AWS or Docker configuration. */
async function synthApp(context: Record<string, unknown>, outdir: string): Promise<Outcome> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: os.tmpdir(),
    CDK_OUTDIR: outdir,
    // What the CDK CLI adds to the user's context.
    CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context, 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true }),
    // Proves no credentials and no Docker are needed.
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DOCKER: '/nonexistent/docker',
  };
  try {
    const { stdout, stderr } = await run(TSX, ['bin/herald.ts'], { cwd: REPO_ROOT, env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

interface TemplateJson {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

const outdirs: string[] = [];
const tempOutdir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-synth-'));
  outdirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('GIVEN the CDK app WHEN synthesized with bundling, as `npm run synth` does', () => {
  let outdir: string;
  let outcome: Outcome;
  let template: TemplateJson;

  beforeAll(async () => {
    outdir = tempOutdir();
    outcome = await synthApp({ alertEmail: 'ops@example.com' }, outdir);
    if (outcome.code === 0) {
      template = JSON.parse(fs.readFileSync(path.join(outdir, 'Herald.template.json'), 'utf8')) as TemplateJson;
    }
  }, 180_000);

  it('THEN it succeeds and writes the Herald template', () => {
    expect(outcome.stderr).not.toMatch(/Error|AwsSolutions-/);
    expect(outcome.code).toBe(0);
    expect(Object.keys(template.Resources).length).toBeGreaterThan(30);
  });

  it('THEN the cdk-nag validation plugin ran and reported nothing', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { summary?: { status?: string }; violations?: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it.each([
    ['api', 'Api'],
    ['deliver', 'Worker'],
    ['sweep', 'Sweeper'],
  ])('THEN the %s handler is bundled by esbuild into one minified ESM file with a source map', (name, construct) => {
    const fn = Object.values(template.Resources).find(
      (r) => r.Metadata?.['aws:cdk:path'] === `Herald/${construct}/Function/Resource`,
    );
    expect(fn?.Type).toBe('AWS::Lambda::Function');
    expect(fn!.Metadata!['aws:asset:is-bundled']).toBe(true);
    const asset = path.join(outdir, fn!.Metadata!['aws:asset:path'] as string);
    expect(fs.readdirSync(asset).sort()).toEqual(['index.mjs', 'index.mjs.map']);

    const code = fs.readFileSync(path.join(asset, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire as __heraldCreateRequire } from 'module';")).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{\s*handler\s*\}/);
    expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
    // The AWS SDK and every other dependency are inside the bundle, not imported at run time.
    expect(code).not.toMatch(/from\s*["'](@aws-sdk|@middy|@smithy)\//);

    const map = JSON.parse(fs.readFileSync(path.join(asset, 'index.mjs.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources.some((source) => source.endsWith(`lambdas/${name}/handler.ts`))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
  });
});

describe('GIVEN invalid context WHEN the CDK app is synthesized', () => {
  it('THEN it fails if retentionDays is 0, naming the key, without a stack trace', async () => {
    const outcome = await synthApp({ retentionDays: '0' }, tempOutdir());
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim()).toBe('herald: context retentionDays must be an integer from 1 to 3650, got "0"');
  }, 60_000);

  it('THEN it fails if alertEmail is not an e-mail', async () => {
    const outcome = await synthApp({ alertEmail: 'nobody' }, tempOutdir());
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('herald: context alertEmail must be an e-mail address, got "nobody"');
  }, 60_000);
});
