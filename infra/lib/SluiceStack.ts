// The whole of sluice on AWS: the event stream, the HTTP ingest in front of it,
// the aggregator writing rollups to Aurora through the Data API, the archiver
// writing raw events to S3 through Firehose, the schema migration, and monitoring.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AGGREGATOR_MAPPING, ARCHIVER_MAPPING, ENV, RESOURCE_NAMES } from '../../core/index.ts';
import { CONFIG_FILE, METRICS_NAMESPACE } from '../../consumers/index.ts';
import { EventArchive, type EventArchiveProps } from './EventArchive.ts';
import { EventStream, type EventStreamProps } from './EventStream.ts';
import { IngestApi, type IngestApiProps } from './IngestApi.ts';
import { PipelineMonitoring } from './PipelineMonitoring.ts';
import { RollupDatabase, type RollupDatabaseProps } from './RollupDatabase.ts';
import { SchemaMigration } from './SchemaMigration.ts';
import { StreamConsumer } from './StreamConsumer.ts';
import type { StreamConsumerSettings } from './types.ts';

export interface SluiceStackProps extends StackProps {
  /** The Kinesis stream. @default on-demand, 24 h retention, AWS-managed key, named `RESOURCE_NAMES.stream` */
  readonly stream?: EventStreamProps;
  /** The Aurora cluster. @default Serverless v2 0..4 ACU with auto-pause, database `RESOURCE_NAMES.database` */
  readonly database?: RollupDatabaseProps;
  /** The Firehose archive. @default named `RESOURCE_NAMES.deliveryStream`, 5 MiB / 60 s buffering, GZIP, objects kept forever */
  readonly archive?: EventArchiveProps;
  /** The aggregator's event source mapping and function. @default core `AGGREGATOR_MAPPING` */
  readonly aggregator?: StreamConsumerSettings;
  /** The archiver's event source mapping and function. @default core `ARCHIVER_MAPPING` */
  readonly archiver?: StreamConsumerSettings;
  /** The HTTP ingest function and API. @default 512 MB, 29 s, no API throttle below the account's */
  readonly ingest?: Omit<IngestApiProps, 'stream' | 'metricsNamespace'>;
  /** CloudWatch namespace of the functions' Powertools metrics. @default 'sluice' */
  readonly metricsNamespace?: string;
  /** Where alarms notify. @default undefined (console only) */
  readonly alarmTopic?: sns.ITopic;
  /** Consumer lag that raises an alarm. @default Duration.minutes(5) */
  readonly maxIteratorAge?: Duration;
}

export class SluiceStack extends Stack {
  readonly eventStream: EventStream;
  readonly database: RollupDatabase;
  readonly archive: EventArchive;
  readonly migration: SchemaMigration;
  readonly aggregator: StreamConsumer;
  readonly archiver: StreamConsumer;
  readonly ingest: IngestApi;
  readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: SluiceStackProps = {}) {
    super(scope, id, props);
    const metricsNamespace = props.metricsNamespace ?? METRICS_NAMESPACE;

    this.eventStream = new EventStream(this, 'Events', { streamName: RESOURCE_NAMES.stream, ...props.stream });
    const stream = this.eventStream.stream;
    this.database = new RollupDatabase(this, 'Rollups', { databaseName: RESOURCE_NAMES.database, ...props.database });
    this.archive = new EventArchive(this, 'Archive', { deliveryStreamName: RESOURCE_NAMES.deliveryStream, ...props.archive });
    this.migration = new SchemaMigration(this, 'Schema', { database: this.database });

    this.aggregator = new StreamConsumer(this, 'Aggregator', {
      stream,
      mapping: AGGREGATOR_MAPPING,
      functionName: RESOURCE_NAMES.aggregatorFunction,
      entry: 'consumers/aggregator/lambda.ts',
      description: 'sluice aggregator: Kinesis batches to exact rollups through the RDS Data API',
      serviceName: RESOURCE_NAMES.aggregatorFunction,
      metricsNamespace,
      environment: this.database.dataApiEnvironment(),
      // The rollup configuration the aggregator loads from its working directory
      // (/var/task); without the file it runs the defaults, as locally.
      bundleFiles: [{ from: CONFIG_FILE, to: CONFIG_FILE }],
      ...props.aggregator,
    });
    // Data API on this cluster and its secret only; reading the stream comes with the mapping.
    this.database.grantDataApiAccess(this.aggregator.function);
    // The rollup tables must exist before the first batch arrives.
    this.aggregator.node.addDependency(this.migration);

    this.archiver = new StreamConsumer(this, 'Archiver', {
      stream,
      mapping: ARCHIVER_MAPPING,
      functionName: RESOURCE_NAMES.archiverFunction,
      entry: 'consumers/archiver/lambda.ts',
      description: 'sluice archiver: raw events from Kinesis to S3 through Firehose',
      serviceName: RESOURCE_NAMES.archiverFunction,
      metricsNamespace,
      environment: { [ENV.deliveryStreamName]: this.archive.deliveryStream.deliveryStreamName },
      ...props.archiver,
    });
    this.archive.deliveryStream.grantPutRecords(this.archiver.function);

    this.ingest = new IngestApi(this, 'Ingest', { stream, metricsNamespace, ...props.ingest });

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      stream,
      consumers: { aggregator: this.aggregator, archiver: this.archiver },
      ingest: this.ingest,
      archive: this.archive,
      alarmTopic: props.alarmTopic,
      maxIteratorAge: props.maxIteratorAge,
      aggregatorMetrics: { namespace: metricsNamespace, serviceName: RESOURCE_NAMES.aggregatorFunction },
    });

    // Under the env names, so `export $(...)` of these outputs points the CLI at AWS.
    new CfnOutput(this, 'IngestUrl', { value: this.ingest.ingestUrl, description: ENV.ingestUrl });
    new CfnOutput(this, 'StreamName', { value: stream.streamName, description: ENV.streamName });
    new CfnOutput(this, 'DeliveryStreamName', { value: this.archive.deliveryStream.deliveryStreamName, description: ENV.deliveryStreamName });
    new CfnOutput(this, 'ClusterArn', { value: this.database.cluster.clusterArn, description: ENV.dbClusterArn });
    new CfnOutput(this, 'SecretArn', { value: this.database.secret.secretArn, description: ENV.dbSecretArn });
    new CfnOutput(this, 'DatabaseName', { value: this.database.databaseName, description: ENV.dbName });
    new CfnOutput(this, 'ArchiveBucket', { value: this.archive.bucket.bucketName, description: ENV.archiveBucket });
  }
}
