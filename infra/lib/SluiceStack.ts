// The whole of sluice on AWS: the event stream, the HTTP ingest in front of it,
// the aggregator writing rollups to Aurora through the Data API, the archiver
// writing raw events to S3 through Firehose, the configuration's subscribers, the
// schema migration, and monitoring
// that notifies an SNS topic. Every physical name is generated, so one account can
// hold several sluice stacks, and a stack can be deployed again after a delete.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ENV, RESOURCE_NAMES } from '../../core/index.ts';
import { CONFIG_FILE, DEFAULT_CONFIG, METRICS_NAMESPACE, loadConfig, registeredSubscribers } from '../../consumers/index.ts';
import { InfraConfigError } from './errors.ts';
import { QUERY_ROUTES } from '../../query/index.ts';
import { EventArchive, type EventArchiveProps } from './EventArchive.ts';
import { EventStream, type EventStreamProps } from './EventStream.ts';
import { IngestApi, type IngestApiProps } from './IngestApi.ts';
import { PipelineMonitoring } from './PipelineMonitoring.ts';
import { RollupDatabase, type RollupDatabaseProps } from './RollupDatabase.ts';
import { SchemaMigration } from './SchemaMigration.ts';
import { StreamConsumer } from './StreamConsumer.ts';
import { REPO_ROOT, SluiceFunction } from './SluiceFunction.ts';
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
  /**
   * The sluice.config.json the aggregator and the query function bundle, and whose
   * `subscribers` are deployed (handler paths relative to its directory).
   * @default sluice.config.json at the repository root, the defaults when there is none
   */
  readonly configFile?: string;
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
  /** Every consumer of the stream by registered name: the aggregator, the archiver and the configured subscribers. */
  readonly subscribers: Readonly<Record<string, StreamConsumer>>;
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

    // Every consumer of the stream from the one registry: the aggregator, the archiver
    // and each subscriber of the configuration, deployed the same way.
    const configFile = props.configFile ?? join(REPO_ROOT, CONFIG_FILE);
    const config = existsSync(configFile) ? loadConfig(configFile) : DEFAULT_CONFIG;
    const overrides: Record<string, StreamConsumerSettings | undefined> = { aggregator: props.aggregator, archiver: props.archiver };
    const subscribers: Record<string, StreamConsumer> = {};
    for (const sub of registeredSubscribers(config, dirname(configFile))) {
      if (!existsSync(sub.entry)) throw new InfraConfigError(`subscribers.${sub.name}.handler`, `entry file ${sub.entry} not found`);
      const environment: Record<string, string> = { ...sub.environment };
      if (sub.uses.includes('database')) Object.assign(environment, this.database.dataApiEnvironment());
      if (sub.uses.includes('archive')) environment[ENV.deliveryStreamName] = this.archive.deliveryStream.deliveryStreamName;
      if (sub.types) environment[ENV.subscriberTypes] = JSON.stringify(sub.types);
      const consumer = new StreamConsumer(this, sub.builtIn ? pascalCase(sub.name) : `Subscriber${pascalCase(sub.name)}`, {
        stream,
        retentionPeriod: this.eventStream.retentionPeriod,
        mapping: sub.mapping,
        entry: sub.entry,
        description: sub.description,
        serviceName: sub.functionName,
        metricsNamespace,
        environment,
        memorySize: sub.memorySize,
        enhancedFanOut: sub.enhancedFanOut,
        // The aggregator loads the rollups from its working directory (/var/task);
        // without the file it runs the defaults, as locally.
        bundleFiles: sub.readsConfig ? [{ from: configFile, to: CONFIG_FILE }] : undefined,
        ...overrides[sub.name],
      });
      if (sub.uses.includes('database')) {
        // Data API on this cluster and its secret only; reading the stream comes with the mapping.
        this.database.grantDataApiAccess(consumer.function);
        // The rollup and quarantine tables must exist before the first batch arrives.
        consumer.node.addDependency(this.migration);
      }
      if (sub.uses.includes('archive')) this.archive.deliveryStream.grantPutRecords(consumer.function);
      subscribers[sub.name] = consumer;
    }
    this.subscribers = subscribers;
    this.aggregator = subscribers.aggregator!;
    this.archiver = subscribers.archiver!;

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
        bundleFiles: [{ from: configFile, to: CONFIG_FILE }],
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
      consumers: subscribers,
      subscriberMetrics: config.subscribers.map((c) => c.name),
      metricsNamespace,
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

/** `login-spikes` as `LoginSpikes`, for construct ids. */
function pascalCase(name: string): string {
  return name.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}
