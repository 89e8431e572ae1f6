// The embedded local stack: every AWS part sluice uses, on one machine. Each part
// runs in a process of its own (local/process), so the Kinesis server, the Data API
// and its PostgreSQL, Firehose, the ingest endpoint and each consumer share the
// machine's cores; this process only starts, watches and stops them. `sluice dev`
// (npm start) runs it with a data directory that keeps the stream, the database,
// the archive and the consumers' positions across restarts; tests start it on free
// ports and a fresh directory.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import {
  AGGREGATOR_MAPPING, ARCHIVER_MAPPING, ENV, LOCAL_REGION, PLACEHOLDER_CREDENTIALS, RESOURCE_NAMES, STACK_ENV_FILE,
  awsClientConfig, chainFindsCredentials, type ConsumerMapping, type StackEnv,
} from '../core/index.ts';
import type { EmbeddedEngine } from './database/index.ts';
import type { RunnerStats } from './runner/index.ts';
import {
  StackPart, removePartsFile, waitForLeftoverParts, writePartsFile,
  type ConsumerPartConfig, type CpuMicros, type DatabasePartConfig, type FirehosePartConfig, type IngestPartConfig, type KinesisPartConfig,
} from './process/index.ts';
import { StackLock } from './StackLock.ts';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_DB_CLUSTER_ARN = `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster:sluice-local`;
export const LOCAL_DB_SECRET_ARN = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:sluice-local-db-AbCdEf`;

/** Fixed ports `sluice dev` uses unless told otherwise, so the printed variables stay valid across restarts. */
export const DEFAULT_DEV_PORTS = { kinesis: 4570, firehose: 4571, rdsData: 4572, ingest: 4573 } as const;

/** Where the embedded engines keep their files under the data directory. */
const DATABASE_DIRS: Record<EmbeddedEngine, string> = { postgres: 'postgres', pglite: 'pg' };

export interface LocalStackOptions {
  /** Where everything durable lives. Default `.sluice`. */
  dataDir?: string;
  /** An external PostgreSQL instead of the embedded one. Default: the embedded PostgreSQL under dataDir. */
  databaseUrl?: string;
  /** The embedded engine when there is no databaseUrl. Default `postgres` (a real server); `pglite` where no binaries exist. */
  database?: EmbeddedEngine;
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
  /** Records the HTTP ingest endpoint writes: `compressed` (sluice's compact aggregates) or `kpl`. Default `compressed`. */
  ingestRecordFormat?: 'compressed' | 'kpl';
  /** Progress lines while starting. Default: none. */
  log?: (line: string) => void;
}

/** The Data API's part, asked across processes: its transactions, for measuring what a cap on writers bounds. */
export interface DataApiHandle {
  /** Open transactions now, the most open at once since the last reset, and how many were begun. */
  transactionCounts(): Promise<{ open: number; peakOpen: number; begun: number }>;
  resetTransactionPeak(): Promise<void>;
}

/** A consumer's part: its runner's numbers, and a way to stop it alone. */
export interface ConsumerHandle {
  /** The runner's numbers as last reported (about every second). */
  readonly stats: RunnerStats | undefined;
  stop(): Promise<void>;
}

export interface LocalStack {
  /** The variables that point SDKs, the CLI and the handlers at this stack. */
  readonly env: Record<string, string>;
  readonly dataDir: string;
  /** Every process of the stack, in start order. */
  readonly parts: readonly StackPart[];
  readonly runners: { aggregator: ConsumerHandle; archiver: ConsumerHandle };
  readonly dataApi: DataApiHandle;
  /** CPU time (microseconds) of each part and of the PostgreSQL server, as last reported, and of this process. */
  cpu(): CpuMicros;
  /** Resolves with a reason when a part exits while the stack is running (a crash, or a kill). */
  readonly failed: Promise<string>;
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
  const parts: StackPart[] = [];
  /** Servers the parts run (the embedded PostgreSQL), listed beside them for tools that measure the stack. */
  const servers: { name: string; pid: number }[] = [];
  const recordParts = () => writePartsFile(dataDir, [...parts.map((p) => ({ name: p.name, pid: p.pid })), ...servers]);
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  let fail: (reason: string) => void = () => {};
  const failed = new Promise<string>((r) => (fail = r));
  const startPart = async (name: string, role: Parameters<typeof StackPart.start>[1], config: unknown) => {
    const part = await StackPart.start(name, role, config);
    parts.push(part);
    stops.push(() => part.stop());
    void part.whenExited().then(() => { if (!stopping) fail(`${name} (pid ${part.pid}) exited`); });
    recordParts();
    return part;
  };
  try {
    const lock = StackLock.acquire(dataDir);
    stops.push(async () => lock.release());
    await waitForLeftoverParts(dataDir, log);
    stops.push(async () => removePartsFile(dataDir));

    // The services depend on nothing, so they start side by side; the consumers and
    // the ingest endpoint need their addresses.
    const engine = options.database ?? 'postgres';
    const databaseDir = join(dataDir, DATABASE_DIRS[engine]);
    const [kinesis, database, firehose] = await together([
      startPart('kinesis', 'kinesis', {
        path: join(dataDir, 'kinesis'),
        port: options.ports?.kinesis ?? 0,
        streams: [{ name: RESOURCE_NAMES.stream, shardCount: options.shardCount ?? 4 }],
      } satisfies KinesisPartConfig),
      startPart('database', 'database', {
      dataDir: databaseDir,
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      engine,
      port: options.ports?.rdsData ?? 0,
      resourceArn: LOCAL_DB_CLUSTER_ARN,
      secretArn: LOCAL_DB_SECRET_ARN,
      databaseName: RESOURCE_NAMES.database,
      faultInjection: options.faultInjection ?? false,
      region: LOCAL_REGION,
      } satisfies DatabasePartConfig),
      startPart('firehose', 'firehose', {
        port: options.ports?.firehose ?? 0,
        dataDir: join(dataDir, 'firehose'),
        deliveryStreams: [{
          name: RESOURCE_NAMES.deliveryStream,
          bucket: RESOURCE_NAMES.bucket,
          bufferSizeBytes: options.firehoseBuffer?.sizeBytes ?? 1024 * 1024,
          bufferIntervalMs: options.firehoseBuffer?.intervalMs ?? 5000,
        }],
      } satisfies FirehosePartConfig),
    ]);
    log(`kinesis    ${kinesis.info.endpoint} (stream ${RESOURCE_NAMES.stream})`);
    if (database.info.postgresPid !== undefined) {
      servers.push({ name: 'postgres', pid: Number(database.info.postgresPid) });
      recordParts();
    }
    log(`postgres   ${options.databaseUrl ? redact(options.databaseUrl)
      : engine === 'pglite' ? `PGlite in ${databaseDir}` : `PostgreSQL 16 (embedded, pid ${database.info.postgresPid}) in ${databaseDir}`}`);
    log(`rds-data   ${database.info.endpoint}`);
    log(`schema     ${database.info.migrations ? `applied ${database.info.migrations}` : 'up to date'}`);
    log(`firehose   ${firehose.info.endpoint} (objects under ${join(dataDir, 'firehose', 's3', RESOURCE_NAMES.bucket)})`);

    const env: Record<string, string> = {
      [ENV.region]: LOCAL_REGION,
      [ENV.defaultRegion]: LOCAL_REGION,
      // Credentials come from the default chain; the emulators accept whatever it
      // finds. Placeholders only for a machine that has none, so the AWS CLI works.
      ...(await chainFindsCredentials() ? {} : {
        [ENV.accessKeyId]: PLACEHOLDER_CREDENTIALS.accessKeyId,
        [ENV.secretAccessKey]: PLACEHOLDER_CREDENTIALS.secretAccessKey,
      }),
      [ENV.kinesisEndpoint]: String(kinesis.info.endpoint),
      [ENV.firehoseEndpoint]: String(firehose.info.endpoint),
      [ENV.rdsDataEndpoint]: String(database.info.endpoint),
      [ENV.streamName]: RESOURCE_NAMES.stream,
      [ENV.deliveryStreamName]: RESOURCE_NAMES.deliveryStream,
      [ENV.dbClusterArn]: LOCAL_DB_CLUSTER_ARN,
      [ENV.dbSecretArn]: LOCAL_DB_SECRET_ARN,
      [ENV.dbName]: RESOURCE_NAMES.database,
      [ENV.dataDir]: dataDir,
    };

    mkdirSync(join(dataDir, 'runner'), { recursive: true });
    const consumer = (kind: ConsumerPartConfig['consumer'], functionName: string, mapping: ConsumerMapping) =>
      startPart(kind, 'consumer', {
        consumer: kind, functionName, env, mapping,
        checkpointPath: join(dataDir, 'runner', `${functionName}.json`),
        onFailureDir: join(dataDir, 'runner', `${functionName}-failures`),
      } satisfies ConsumerPartConfig);
    const [aggregator, archiver, ingest] = await together([
      consumer('aggregator', RESOURCE_NAMES.aggregatorFunction, { ...AGGREGATOR_MAPPING, ...options.aggregatorMapping }),
      consumer('archiver', RESOURCE_NAMES.archiverFunction, { ...ARCHIVER_MAPPING, ...options.archiverMapping }),
      startPart('ingest', 'ingest', {
        env, port: options.ports?.ingest ?? 0, compression: (options.ingestRecordFormat ?? 'compressed') === 'compressed',
      } satisfies IngestPartConfig),
    ]);
    log(`consumers  aggregator (pid ${aggregator.pid}), archiver (pid ${archiver.pid}) polling ${RESOURCE_NAMES.stream}`);
    env[ENV.ingestUrl] = String(ingest.info.url);
    log(`ingest     POST ${env[ENV.ingestUrl]}`);

    // Ready means every part answers a real request through the same clients users have.
    const kinesisClient = new KinesisClient(awsClientConfig(env, 'kinesis'));
    const rdsData = new RDSDataClient(awsClientConfig(env, 'rdsData'));
    const firehoseClient = new FirehoseClient(awsClientConfig(env, 'firehose'));
    try {
      await Promise.all([
        kinesisClient.send(new DescribeStreamSummaryCommand({ StreamName: RESOURCE_NAMES.stream })),
        rdsData.send(new ExecuteStatementCommand({ resourceArn: LOCAL_DB_CLUSTER_ARN, secretArn: LOCAL_DB_SECRET_ARN, database: RESOURCE_NAMES.database, sql: 'SELECT 1' })),
        firehoseClient.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: RESOURCE_NAMES.deliveryStream })),
        fetch(env[ENV.ingestUrl]!, { method: 'GET' }).then((r) => r.arrayBuffer()),
      ]);
    } finally {
      kinesisClient.destroy();
      rdsData.destroy();
      firehoseClient.destroy();
    }

    writeEnvFile(dataDir, env);
    stops.push(async () => rmSync(join(dataDir, STACK_ENV_FILE), { force: true }));

    const handle = (part: StackPart): ConsumerHandle => ({
      get stats() { return part.stats as RunnerStats | undefined; },
      stop: () => part.stop(),
    });
    return {
      env, dataDir, parts, failed,
      runners: { aggregator: handle(aggregator), archiver: handle(archiver) },
      dataApi: {
        transactionCounts: () => database.request('transactionCounts'),
        resetTransactionPeak: () => database.request('resetTransactionPeak'),
      },
      cpu() {
        const own = process.cpuUsage();
        return Object.assign({ stack: own.user + own.system }, ...parts.map((p) => p.cpu)) as CpuMicros;
      },
      async waitIdle() {
        await Promise.all([aggregator.request('waitIdle'), archiver.request('waitIdle')]);
        await firehose.request('flush');
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
}

/**
 * Waits for every start, not just the first failure, so a part still starting when
 * another failed is registered and stopped with the rest.
 */
async function together<T extends readonly Promise<StackPart>[]>(starts: T): Promise<{ [K in keyof T]: StackPart }> {
  const settled = await Promise.allSettled(starts);
  const failure = settled.find((r) => r.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<StackPart>).value) as { [K in keyof T]: StackPart };
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
