// The whole of sluice on AWS: the event stream, the HTTP ingest in front of it,
// the aggregator writing rollups to Aurora through the Data API, the archiver
// writing raw events to S3 through Firehose, the schema migration, and monitoring
// that notifies an SNS topic. Every physical name is generated, so one account can
// hold several sluice stacks, and a stack can be deployed again after a delete.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AGGREGATOR_MAPPING, ARCHIVER_MAPPING, ENV, RESOURCE_NAMES } from '../../core/index.ts';
import { CONFIG_FILE, METRICS_NAMESPACE } from '../../consumers/index.ts';
import { QUERY_ROUTES } from '../../query/index.ts';
import { EventArchive, type EventArchiveProps } from './EventArchive.ts';
import { EventStream, type EventStreamProps } from './EventStream.ts';
import { IngestApi, type IngestApiProps } from './IngestApi.ts';
import { PipelineMonitoring } from './PipelineMonitoring.ts';
import { RollupDatabase, type RollupDatabaseProps } from './RollupDatabase.ts';
import { SchemaMigration } from './SchemaMigration.ts';
import { StreamConsumer } from './StreamConsumer.ts';
import { SluiceFunction } from './SluiceFunction.ts';
import type { QueryRouteProps, StreamConsumerSettings } from './types.ts';

/** The query API's route when `query` is given. */
export const QUERY_ROUTE_PATH = QUERY_ROUTES.query;
/**
 * Every GET route of the query API on AWS: queries, the catalog of types the
 * dashboard and clients list, and the OpenAPI document. /v1/health and the dashboard
 * are the local stack's only (their figures come from its processes).
 */
export const QUERY_API_PATHS = [QUERY_ROUTES.query, QUERY_ROUTES.catalog, QUERY_ROUTES.openApi] as const;

export interface SluiceStackProps extends StackProps {
  /** The Kinesis stream. @default on-demand, 24 h retention, AWS-managed key, generated name */
  readonly stream?: EventStreamProps;
  /** The Aurora cluster. @default Serverless v2 0..4 ACU with auto-pause, database `RESOURCE_NAMES.database` */
  readonly database?: RollupDatabaseProps;
  /** The Firehose archive. @default generated name, 5 MiB / 60 s buffering, GZIP, Standard-IA at 30 days, deleted at 365 */
  readonly archive?: EventArchiveProps;
  /** The aggregator's event source mapping and function. @default core `AGGREGATOR_MAPPING` */
  readonly aggregator?: StreamConsumerSettings;
  /** The archiver's event source mapping and function. @default core `ARCHIVER_MAPPING` */
  readonly archiver?: StreamConsumerSettings;
  /** The HTTP ingest function and API. @default 512 MB, 29 s, IAM auth, INGEST_THROTTLE_DEFAULTS */
  readonly ingest?: Omit<IngestApiProps, 'stream' | 'metricsNamespace'>;
  /**
   * The query API's handler (query/api/lambda.ts in the app), served as
   * `GET /v1/query`, `/v1/catalog` and `/openapi.json` behind the same IAM
   * authorization and throttle, with Data API access to the rollups.
   * @default undefined (no query route)
   */
  readonly query?: QueryRouteProps;
  /** CloudWatch namespace of the functions' Powertools metrics. @default 'sluice' */
  readonly metricsNamespace?: string;
  /**
   * Who hears of alarms: subscriptions added to the stack's alarm topic
   * (e.g. `new subscriptions.EmailSubscription('ops@example.com')`).
   * @default none (subscribe to the AlarmTopicArn output later)
   */
  readonly alarmSubscriptions?: readonly sns.ITopicSubscription[];
  /** Consumer lag that raises an alarm. @default lagPolicy(stream retention).iteratorAgeAlarm (6 h at 24 h) */
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
  /** Every alarm of the stack notifies this topic. */
  readonly alarmTopic: sns.Topic;
  /** The query function, when `query` was given. */
  readonly queryFunction?: SluiceFunction;

  constructor(scope: Construct, id: string, props: SluiceStackProps = {}) {
    super(scope, id, props);
    const metricsNamespace = props.metricsNamespace ?? METRICS_NAMESPACE;

    this.eventStream = new EventStream(this, 'Events', props.stream);
    const stream = this.eventStream.stream;
    this.database = new RollupDatabase(this, 'Rollups', { databaseName: RESOURCE_NAMES.database, ...props.database });
    this.archive = new EventArchive(this, 'Archive', props.archive);
    this.migration = new SchemaMigration(this, 'Schema', { database: this.database });

    this.aggregator = new StreamConsumer(this, 'Aggregator', {
      stream,
      retentionPeriod: this.eventStream.retentionPeriod,
      mapping: AGGREGATOR_MAPPING,
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
      retentionPeriod: this.eventStream.retentionPeriod,
      mapping: ARCHIVER_MAPPING,
      entry: 'consumers/archiver/lambda.ts',
      description: 'sluice archiver: raw events from Kinesis to S3 through Firehose',
      serviceName: RESOURCE_NAMES.archiverFunction,
      metricsNamespace,
      environment: { [ENV.deliveryStreamName]: this.archive.deliveryStream.deliveryStreamName },
      ...props.archiver,
    });
    this.archive.deliveryStream.grantPutRecords(this.archiver.function);

    this.ingest = new IngestApi(this, 'Ingest', { stream, metricsNamespace, ...props.ingest });
    if (props.query) {
      this.queryFunction = new SluiceFunction(this, 'QueryFunction', {
        entry: props.query.entry,
        handler: props.query.handler,
        description: `sluice query API: GET ${QUERY_API_PATHS.join(', ')} read rollups through the RDS Data API`,
        serviceName: 'sluice-query',
        metricsNamespace,
        memorySize: props.query.memorySize ?? 512,
        timeout: props.query.timeout,
        environment: this.database.dataApiEnvironment(),
        bundleFiles: [{ from: CONFIG_FILE, to: CONFIG_FILE }],
      });
      this.database.grantDataApiAccess(this.queryFunction);
      for (const path of QUERY_API_PATHS) this.ingest.addRoute(path, apigw.HttpMethod.GET, this.queryFunction);
    }

    // SSL only; not KMS-encrypted: CloudWatch can publish to an encrypted topic only
    // through a customer key, and alarm messages carry no event data.
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'sluice alarms', enforceSSL: true });
    for (const s of props.alarmSubscriptions ?? []) this.alarmTopic.addSubscription(s);

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      stream,
      retentionPeriod: this.eventStream.retentionPeriod,
      consumers: { aggregator: this.aggregator, archiver: this.archiver },
      ingest: this.ingest,
      archive: this.archive,
      alarmTopic: this.alarmTopic,
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
    // The API's base URL, as SLUICE_QUERY_URL is locally: clients append /v1/query etc.
    if (props.query) new CfnOutput(this, 'QueryUrl', { value: this.ingest.api.apiEndpoint, description: ENV.queryUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'SNS topic every alarm notifies' });
    new CfnOutput(this, 'ArchiveBucket', { value: this.archive.bucket.bucketName, description: ENV.archiveBucket });
  }
}
