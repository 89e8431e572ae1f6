// Aurora PostgreSQL Serverless v2 holding the rollups, reached only through the RDS
// Data API (HTTPS, IAM + Secrets Manager): the cluster sits in isolated subnets
// with no NAT, and no Lambda needs a VPC or a connection pool.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../core/index.ts';
import { InfraConfigError } from './errors.ts';

/** Serverless v2 capacity bounds, in Aurora capacity units (ACU). */
const ACU = { min: 0, max: 256 } as const;

export interface RollupDatabaseProps {
  /** Database created in the cluster, passed to every Data API call. @default 'sluice' */
  readonly databaseName?: string;
  /**
   * Lowest capacity. 0 lets the cluster pause when idle (the Data API then answers
   * DatabaseResumingException for a few seconds, which the consumers retry).
   * @default 0
   */
  readonly minCapacity?: number;
  /** Highest capacity. @default 4 */
  readonly maxCapacity?: number;
  /** Idle time before a cluster with minCapacity 0 pauses. @default Duration.minutes(10) */
  readonly autoPauseAfter?: Duration;
  /** Engine version. @default rds.AuroraPostgresEngineVersion.VER_16_9 */
  readonly engineVersion?: rds.AuroraPostgresEngineVersion;
  /** What happens to the cluster when the stack is deleted. @default RemovalPolicy.SNAPSHOT */
  readonly removalPolicy?: RemovalPolicy;
  /** Days of automated backups. @default 7 */
  readonly backupRetentionDays?: number;
}

export class RollupDatabase extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: rds.DatabaseCluster;
  readonly secret: secretsmanager.ISecret;
  readonly databaseName: string;

  constructor(scope: Construct, id: string, props: RollupDatabaseProps = {}) {
    super(scope, id);
    const minCapacity = props.minCapacity ?? 0;
    const maxCapacity = props.maxCapacity ?? 4;
    if (minCapacity < ACU.min || maxCapacity > ACU.max || minCapacity > maxCapacity || maxCapacity < 1) {
      throw new InfraConfigError(
        'minCapacity/maxCapacity',
        `need ${ACU.min} <= min <= max <= ${ACU.max} and max >= 1, got ${minCapacity}..${maxCapacity}`,
      );
    }
    this.databaseName = props.databaseName ?? 'sluice';

    // Isolated subnets only: nothing in the VPC needs the internet, and the Data
    // API reaches the cluster from the AWS side.
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    });

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({
        version: props.engineVersion ?? rds.AuroraPostgresEngineVersion.VER_16_9,
      }),
      credentials: rds.Credentials.fromGeneratedSecret('sluice_admin'),
      defaultDatabaseName: this.databaseName,
      writer: rds.ClusterInstance.serverlessV2('writer'),
      serverlessV2MinCapacity: minCapacity,
      serverlessV2MaxCapacity: maxCapacity,
      serverlessV2AutoPauseDuration: minCapacity === 0 ? (props.autoPauseAfter ?? Duration.minutes(10)) : undefined,
      enableDataApi: true,
      storageEncrypted: true,
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      backup: { retention: Duration.days(props.backupRetentionDays ?? 7) },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
    });
    if (!this.cluster.secret) throw new InfraConfigError('credentials', 'the cluster has no secret for the Data API');
    this.secret = this.cluster.secret;
  }

  /** The three coordinates every Data API call passes, under their core `ENV` names. */
  dataApiEnvironment(): Record<string, string> {
    return {
      [ENV.dbClusterArn]: this.cluster.clusterArn,
      [ENV.dbSecretArn]: this.secret.secretArn,
      [ENV.dbName]: this.databaseName,
    };
  }

  /** Lets `grantee` call the Data API on this cluster and read its secret, nothing more. */
  grantDataApiAccess(grantee: iam.IGrantable): iam.Grant {
    return this.cluster.grantDataApiAccess(grantee);
  }
}
