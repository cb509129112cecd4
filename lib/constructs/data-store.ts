import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLE_SPEC } from '../spec';

/**
 * Item-level actions Herald's adapters call, and no others: no Scan, no batch or transactional
 * writes (the adapters make none), no table management, no PartiQL. `test/infra/permissions.test.ts`
 * checks this list against the DynamoDB commands the code imports.
 */
export const TABLE_DATA_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/**
 * The single DynamoDB table holding events, endpoints, deliveries and attempts (layout in
 * `lib/spec.ts`): on-demand (costs nothing idle), TTL for retention, point-in-time recovery,
 * encrypted, and retained when the stack is deleted. Its construct id never changes, so its logical
 * id does not either: a change there would replace the table and lose the data.
 */
export class DataStore extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_SPEC.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SPEC.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_SPEC.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of TABLE_SPEC.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType[index.projection],
      });
    }
  }

  /**
   * Lets a function read and write items of the table and query its indexes (each index named,
   * not `index/*`), and nothing else: no Scan, no table or backup management.
   */
  grantReadWriteData(grantee: iam.IGrantable): void {
    const indexArns = TABLE_SPEC.globalSecondaryIndexes.map((index) => `${this.table.tableArn}/index/${index.indexName}`);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...TABLE_DATA_ACTIONS], resources: [this.table.tableArn] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: indexArns }),
    );
  }
}
