import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The repository root: esbuild's project root and the base of every handler entry path. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The bundle is ESM, but some bundled CommonJS dependencies call `require` for Node built-ins;
 * esbuild's ESM output has no `require`, so the banner provides one.
 */
export const REQUIRE_SHIM =
  "import { createRequire as __heraldCreateRequire } from 'module'; const require = __heraldCreateRequire(import.meta.url);";

/**
 * How every Herald Lambda is bundled (NodejsFunction turns these into its esbuild command). Exported
 * so the cold-start benchmark builds exactly the bundles the stack deploys.
 */
export const HERALD_BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node22',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  // Stack traces only need the mappings; the sources would double the asset size.
  sourcesContent: false,
  banner: REQUIRE_SHIM,
  // Bundle everything, the AWS SDK v3 included: the version the tests ran against, not the
  // runtime's. Its effect on cold start is measured by the benchmark.
  externalModules: [],
} as const satisfies BundlingOptions;

export interface HeraldFunctionProps {
  /** The handler file, relative to the repository root, e.g. `lambdas/api/handler.ts`; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** Memory in MB; Lambda gives CPU in proportion, so it also sets how fast the bundle starts. */
  readonly memorySize: number;
  readonly timeout: Duration;
  /** The function's configuration (Herald's `HERALD_*` variables); `NODE_OPTIONS` is added. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Retries of asynchronous invocations (EventBridge rules).
   *
   * @default - the Lambda default (2)
   */
  readonly retryAttempts?: number;
  /**
   * What Lambda does when it detects the function in a recursive loop (SQS → function → same queue).
   *
   * @default - Lambda's default: `Terminate`, the chain is stopped after about 16 hops
   */
  readonly recursiveLoop?: lambda.RecursiveLoop;
  /**
   * Concurrency reserved for this function (and its ceiling).
   *
   * @default - none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Keep Lambda's own START/END/REPORT lines (context `platformLogs`).
   *
   * @default false - system log level WARN: they are not written
   */
  readonly platformLogs?: boolean;
}

/**
 * The one way Herald defines a Lambda: Node.js 22 on arm64, bundled locally by esbuild into a
 * minified ESM file with a source map (no Docker needed to synth), the AWS SDK v3 bundled rather
 * than taken from the runtime (a pinned, tested version), its own log group with a retention, and
 * its own role that may write only to that log group, logs in the JSON format without Lambda's per-invocation
 * START/END/REPORT lines unless context `platformLogs` asks for them. Every other permission is granted by the
 * construct that owns the resource.
 */
export class HeraldFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: HeraldFunctionProps) {
    // The log group and role are created before the function (the function's props need them), so
    // they are siblings of it in the construct tree: `<id>Logs` and `<id>Role`.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the Herald function ${id}`,
    });
    super(scope, id, {
      entry: path.join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup,
      // Herald's own lines are JSON written straight to stdout/stderr (lambdas/logger.ts): Lambda passes them on as
      // written in either format. The JSON format lets the system level drop START/END/REPORT (context platformLogs).
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: props.platformLogs === true ? lambda.SystemLogLevel.INFO : lambda.SystemLogLevel.WARN,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      retryAttempts: props.retryAttempts,
      recursiveLoop: props.recursiveLoop,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        // Stack traces point into the TypeScript sources through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: { ...HERALD_BUNDLING, mainFields: [...HERALD_BUNDLING.mainFields], externalModules: [...HERALD_BUNDLING.externalModules] },
    });
    logGroup.grantWrite(this);
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to Node.js 22 (LTS to April 2027), the version the bundle targets and the tests cover; moving to a newer runtime is a deliberate upgrade, not a silent one.',
    });
  }
}
