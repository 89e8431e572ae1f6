// The embedded local stack: every AWS part sluice uses, on one machine, in one
// process. `sluice dev` (npm start) runs it with a data directory that keeps the
// stream, the database, the archive and the consumers' positions across restarts;
// tests start it in-process on free ports and a fresh directory.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import {
  AGGREGATOR_MAPPING, ARCHIVER_MAPPING, ENV, LOCAL_REGION, PLACEHOLDER_CREDENTIALS, RESOURCE_NAMES, STACK_ENV_FILE,
  awsClientConfig, chainFindsCredentials, type ConsumerMapping, type StackEnv,
} from '../core/index.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { KinesisProducer, createIngestServer } from '../producers/index.ts';
import { METRICS_NAMESPACE, createAggregatorHandler, createArchiverHandler, loadConfig } from '../consumers/index.ts';
import { migrate } from '../schema/index.ts';
import { KinesisServer } from './kinesis/index.ts';
import { openDatabase, type SqlDatabase } from './database/index.ts';
import { DataApiServer } from './dataapi/index.ts';
import { FirehoseServer } from './firehose/index.ts';
import { EventSourceRunner } from './runner/index.ts';
import { StackLock } from './StackLock.ts';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_DB_CLUSTER_ARN = `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster:sluice-local`;
export const LOCAL_DB_SECRET_ARN = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:sluice-local-db-AbCdEf`;

/** Fixed ports `sluice dev` uses unless told otherwise, so the printed variables stay valid across restarts. */
export const DEFAULT_DEV_PORTS = { kinesis: 4570, firehose: 4571, rdsData: 4572, ingest: 4573 } as const;

export interface LocalStackOptions {
  /** Where everything durable lives. Default `.sluice`. */
  dataDir?: string;
  /** An external PostgreSQL instead of the embedded PGlite. Default: PGlite under dataDir. */
  databaseUrl?: string;
  /** Ports on 127.0.0.1; 0 picks a free one. Default 0 for each. */
  ports?: Partial<Record<keyof typeof DEFAULT_DEV_PORTS, number>>;
  /** Shards of the stream, created on first start. Default 4 (a new on-demand stream). */
  shardCount?: number;
  /** Serve the Data API fault-injection admin API (tests only). Default false. */
  faultInjection?: boolean;
  /** Overrides of the consumers' event source mapping settings. Default: core's mappings. */
  aggregatorMapping?: Partial<ConsumerMapping>;
  archiverMapping?: Partial<ConsumerMapping>;
  /** Firehose buffering. Default 1 MiB / 5 s locally, so archives show up while you watch. */
  firehoseBuffer?: { sizeBytes: number; intervalMs: number };
  /** Progress lines while starting. Default: none. */
  log?: (line: string) => void;
}

export interface LocalStack {
  /** The variables that point SDKs, the CLI and the handlers at this stack. */
  readonly env: Record<string, string>;
  readonly dataDir: string;
  readonly kinesis: KinesisServer;
  readonly dataApi: DataApiServer;
  readonly firehose: FirehoseServer;
  readonly runners: { aggregator: EventSourceRunner; archiver: EventSourceRunner };
  /** Resolves once every consumer has read every shard to its tip and Firehose has written its buffers. */
  waitIdle(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts every part, in dependency order, and stops what started if a later part fails. */
export async function startStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const dataDir = resolve(options.dataDir ?? '.sluice');
  mkdirSync(dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const lock = StackLock.acquire(dataDir);
    stops.push(async () => lock.release());

    const kinesis = await KinesisServer.start({
      path: join(dataDir, 'kinesis'),
      port: options.ports?.kinesis ?? 0,
      streams: [{ name: RESOURCE_NAMES.stream, shardCount: options.shardCount ?? 4 }],
    });
    stops.push(() => kinesis.close());
    log(`kinesis    ${kinesis.endpoint} (stream ${RESOURCE_NAMES.stream})`);

    const database: SqlDatabase = await openDatabase(options.databaseUrl ? { databaseUrl: options.databaseUrl } : { dataDir: join(dataDir, 'pg') });
    stops.push(() => database.close());
    log(`postgres   ${options.databaseUrl ? redact(options.databaseUrl) : `PGlite in ${join(dataDir, 'pg')}`}`);

    const dataApi = await DataApiServer.start({
      database,
      port: options.ports?.rdsData ?? 0,
      resourceArn: LOCAL_DB_CLUSTER_ARN,
      secretArn: LOCAL_DB_SECRET_ARN,
      databaseName: RESOURCE_NAMES.database,
      faultInjection: options.faultInjection ?? false,
    });
    stops.push(() => dataApi.close());
    log(`rds-data   ${dataApi.endpoint}`);

    const firehose = await FirehoseServer.start({
      port: options.ports?.firehose ?? 0,
      dataDir: join(dataDir, 'firehose'),
      deliveryStreams: [{
        name: RESOURCE_NAMES.deliveryStream,
        bucket: RESOURCE_NAMES.bucket,
        bufferSizeBytes: options.firehoseBuffer?.sizeBytes ?? 1024 * 1024,
        bufferIntervalMs: options.firehoseBuffer?.intervalMs ?? 5000,
      }],
    });
    stops.push(() => firehose.close());
    log(`firehose   ${firehose.endpoint} (objects under ${join(dataDir, 'firehose', 's3', RESOURCE_NAMES.bucket)})`);

    const env: Record<string, string> = {
      [ENV.region]: LOCAL_REGION,
      [ENV.defaultRegion]: LOCAL_REGION,
      // Credentials come from the default chain; the emulators accept whatever it
      // finds. Placeholders only for a machine that has none, so the AWS CLI works.
      ...(await chainFindsCredentials() ? {} : {
        [ENV.accessKeyId]: PLACEHOLDER_CREDENTIALS.accessKeyId,
        [ENV.secretAccessKey]: PLACEHOLDER_CREDENTIALS.secretAccessKey,
      }),
      [ENV.kinesisEndpoint]: kinesis.endpoint,
      [ENV.firehoseEndpoint]: firehose.endpoint,
      [ENV.rdsDataEndpoint]: dataApi.endpoint,
      [ENV.streamName]: RESOURCE_NAMES.stream,
      [ENV.deliveryStreamName]: RESOURCE_NAMES.deliveryStream,
      [ENV.dbClusterArn]: LOCAL_DB_CLUSTER_ARN,
      [ENV.dbSecretArn]: LOCAL_DB_SECRET_ARN,
      [ENV.dbName]: RESOURCE_NAMES.database,
      [ENV.dataDir]: dataDir,
    };
    const target = { resourceArn: LOCAL_DB_CLUSTER_ARN, secretArn: LOCAL_DB_SECRET_ARN, database: RESOURCE_NAMES.database };

    // The schema comes from the same migrations the CDK custom resource runs on Aurora.
    const rdsData = new RDSDataClient(awsClientConfig(env, 'rdsData'));
    stops.push(async () => rdsData.destroy());
    const { applied } = await migrate(rdsData, target);
    log(`schema     ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);

    const kinesisClient = new KinesisClient(awsClientConfig(env, 'kinesis'));
    stops.push(async () => kinesisClient.destroy());
    const firehoseClient = new FirehoseClient(awsClientConfig(env, 'firehose'));
    stops.push(async () => firehoseClient.destroy());

    const runner = (functionName: string, mapping: ConsumerMapping, handler: ConstructorParameters<typeof EventSourceRunner>[0]['handler']) =>
      new EventSourceRunner({
        kinesis: kinesisClient,
        streamName: RESOURCE_NAMES.stream,
        functionName,
        handler,
        batchSize: mapping.batchSize,
        maximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds,
        parallelizationFactor: mapping.parallelizationFactor,
        ...(mapping.maxConcurrentInvocations !== undefined ? { maxConcurrentInvocations: mapping.maxConcurrentInvocations } : {}),
        bisectBatchOnFunctionError: mapping.bisectBatchOnFunctionError,
        maximumRetryAttempts: mapping.maximumRetryAttempts,
        maximumRecordAgeInSeconds: mapping.maximumRecordAgeInSeconds,
        functionTimeoutMs: mapping.functionTimeoutSeconds * 1000,
        checkpointPath: join(dataDir, 'runner', `${functionName}.json`),
        onFailureDir: join(dataDir, 'runner', `${functionName}-failures`),
      });
    mkdirSync(join(dataDir, 'runner'), { recursive: true });
    // As in Lambda (consumers/aggregator/lambda.ts): the handler retries on its own
    // terms, inside its transaction, so the SDK must not resend statements itself.
    const aggregatorRdsData = new RDSDataClient({ ...awsClientConfig(env, 'rdsData'), maxAttempts: 1 });
    stops.push(async () => aggregatorRdsData.destroy());
    const runners = {
      aggregator: runner(RESOURCE_NAMES.aggregatorFunction, { ...AGGREGATOR_MAPPING, ...options.aggregatorMapping },
        createAggregatorHandler({
          rdsData: aggregatorRdsData, ...target, config: loadConfig(),
          logger: new Logger({ serviceName: RESOURCE_NAMES.aggregatorFunction }),
          metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: RESOURCE_NAMES.aggregatorFunction }),
        })),
      archiver: runner(RESOURCE_NAMES.archiverFunction, { ...ARCHIVER_MAPPING, ...options.archiverMapping },
        createArchiverHandler({ firehose: firehoseClient, deliveryStreamName: RESOURCE_NAMES.deliveryStream })),
    };
    for (const r of Object.values(runners)) {
      r.start();
      stops.push(() => r.stop());
    }
    log(`consumers  ${Object.keys(runners).join(', ')} polling ${RESOURCE_NAMES.stream}`);

    // An HTTP caller waits for its events' acknowledgement: linger briefly, as the ingest Lambda does.
    const producer = new KinesisProducer({ client: kinesisClient, streamName: RESOURCE_NAMES.stream, maxBufferTimeMs: 10 });
    stops.push(async () => { await producer.close(); });
    const ingest = createIngestServer(producer);
    await new Promise<void>((ok, fail) => {
      ingest.once('error', fail);
      ingest.listen(options.ports?.ingest ?? 0, '127.0.0.1', () => ok());
    });
    stops.push(() => new Promise<void>((ok) => {
      ingest.close(() => ok());
      ingest.closeAllConnections();
    }));
    env[ENV.ingestUrl] = `http://127.0.0.1:${(ingest.address() as AddressInfo).port}/v1/events`;
    log(`ingest     POST ${env[ENV.ingestUrl]}`);

    // Ready means every part answers a real request through the same clients users have.
    await Promise.all([
      kinesisClient.send(new DescribeStreamSummaryCommand({ StreamName: RESOURCE_NAMES.stream })),
      rdsData.send(new ExecuteStatementCommand({ ...target, sql: 'SELECT 1' })),
      firehoseClient.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: RESOURCE_NAMES.deliveryStream })),
      fetch(env[ENV.ingestUrl]!, { method: 'GET' }).then((r) => r.arrayBuffer()),
    ]);

    writeEnvFile(dataDir, env);
    stops.push(async () => rmSync(join(dataDir, STACK_ENV_FILE), { force: true }));

    return {
      env, dataDir, kinesis, dataApi, firehose, runners,
      async waitIdle() {
        await Promise.all([runners.aggregator.waitIdle(), runners.archiver.waitIdle()]);
        await firehose.flush();
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** The env file other commands read (core readStackEnv); written atomically. */
function writeEnvFile(dataDir: string, env: StackEnv): void {
  const body = Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
  const file = join(dataDir, STACK_ENV_FILE);
  writeFileSync(file + '.tmp', body);
  renameSync(file + '.tmp', file);
}
