import { RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/config';

/**
 * The KMS key that protects endpoint signing secrets and header values at rest (lambdas/adapters/secret-box.ts).
 * It wraps one data key kept in the table; only the functions that seal or open secrets may use it: the api seals
 * (GenerateDataKey, and Decrypt to reuse the stored data key), the deliver worker and the sweep open (Decrypt: the
 * sweep signs tenant notices to URL contacts). Any other reader of the table gets nothing, so the table alone (an
 * export, a restore, a read-only role) gives no secret away.
 *
 * Retained when the stack is deleted, like the table: without it the sealed secrets cannot be opened. Annual
 * rotation is on (KMS keeps the older key material, so data keys wrapped before a rotation still unwrap). Its
 * construct id never changes.
 */
export class SecretsKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Herald: wraps the data key that seals endpoint signing secrets and header values',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** The variable that points a function at this key. */
  environment(): Record<string, string> {
    return { [ENV.secretsKeyArn]: this.key.keyArn };
  }

  /** Seal and open: create the deployment's data key on first use (GenerateDataKey) and unwrap it (Decrypt). */
  grantSeal(grantee: iam.IGrantable): void {
    this.key.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
  }

  /** Open only: unwrap the data key (Decrypt). */
  grantOpen(grantee: iam.IGrantable): void {
    this.key.grant(grantee, 'kms:Decrypt');
  }
}
