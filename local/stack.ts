// The embedded local stack: every AWS part sluice uses, on one machine. Each part
// runs in a process of its own (local/process), so the Kinesis server, the Data API
// and its PostgreSQL, Firehose, the ingest endpoint and each consumer share the
// machine's cores; this process starts, watches and stops them, and serves the query
// API and dashboard with the health figures the parts report. `sluice dev`
// (npm start) runs it with a data directory that keeps the stream, the database,
// the archive and the consumers' positions across restarts; tests start it on free
// ports and a fresh directory.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import {
  ARCHIVE_LAYOUT, ENV, LOCAL_REGION, PLACEHOLDER_CREDENTIALS, RESOURCE_NAMES, STACK_ENV_FILE,
  awsClientConfig, chainFindsCredentials, type ConsumerMapping, type StackEnv,
} from '../core/index.ts';
import { QuarantineStore, QueryServer, createQueryApi, type PipelineHealth } from '../query/index.ts';
import { loadConfig, registeredSubscribers, type AggregatorBatchReport, type RegisteredSubscriber, type SluiceConfig } from '../consumers/index.ts';
import type { EmbeddedEngine } from './database/index.ts';
import type { EventSourceRunnerOptions, RunnerStats } from './runner/index.ts';
import {
  PartFailedError, StackPart, SupervisedPart, removePartsFile, waitForLeftoverParts, writePartsFile,
  type ConsumerPartConfig, type CpuMicros, type DatabasePartConfig, type FirehosePartConfig, type IngestPartConfig, type KinesisPartConfig,
} from './process/index.ts';
import { StackLock } from './StackLock.ts';
import { PipelineHealthMeter } from './PipelineHealthMeter.ts';
import { StackControl } from './StackControl.ts';
import { startNaiveBaseline } from './naiveBaseline.ts';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_DB_CLUSTER_ARN = `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster:sluice-local`;
export const LOCAL_DB_SECRET_ARN = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:sluice-local-db-AbCdEf`;

/**
 * Fixed ports `sluice dev` uses unless told otherwise, so the printed variables stay
 * valid across restarts: base, base+1, base+2, base+3, the archive's S3 endpoint at
 * base+4, and the query API at base+6 (base+5 is left to other parts).
 */
export const DEFAULT_DEV_PORTS = { kinesis: 4570, firehose: 4571, rdsData: 4572, ingest: 4573, s3: 4574, query: 4576 } as const;
/** The query API's port is this far above the base port. */
export const QUERY_PORT_OFFSET = DEFAULT_DEV_PORTS.query - DEFAULT_DEV_PORTS.kinesis;

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
  /**
   * How long the Data API keeps a transaction no call uses before rolling it back.
   * Default Aurora's 3 minutes: a consumer killed inside its transaction holds the
   * rows it wrote that long. Tests shorten it.
   */
  transactionIdleTimeoutMs?: number;
  /** Serve the Data API and Firehose fault-injection admin APIs (tests only). Default false. */
  faultInjection?: boolean;
  /** The configuration (rollups the aggregator keeps and the query API reads, subscribers). Default: loadConfig() (./sluice.config.json or the defaults). */
  config?: SluiceConfig;
  /** The directory subscribers' handler paths are relative to. Default: the working directory. */
  configDir?: string;
  /** Overrides of a consumer's event source mapping settings, by registered name (`aggregator`, a subscriber's). Default: the registry's. */
  mappings?: Record<string, Partial<ConsumerMapping>>;
  /** Runner settings for every consumer, such as retry back-off (tests). Default: the runner's. */
  runnerOverrides?: Pick<EventSourceRunnerOptions, 'retryBaseDelayMs' | 'retryMaxDelayMs' | 'pollIntervalMs'>;
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

/** A consumer's part: its runner's numbers, and a way to wait for it or stop it alone. */
export interface ConsumerHandle {
  /** The runner's numbers as last reported (about every second). */
  readonly stats: RunnerStats | undefined;
  /** Its process is up (not while it restarts after a crash, nor once given up). */
  readonly running: boolean;
  /** Times its process died and was started again. */
  readonly restarts: number;
  /** Resolves once its runner has read every shard to its tip with nothing in flight. */
  waitIdle(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalStack {
  /** The variables that point SDKs, the CLI and the handlers at this stack. */
  readonly env: Record<string, string>;
  readonly dataDir: string;
  /** Every process of the stack, in start order (a consumer's is its current process). */
  readonly parts: readonly (StackPart | SupervisedPart)[];
  /** Every registered consumer that started, by name: the aggregator, the archiver, the configured subscribers. */
  readonly runners: Readonly<Record<string, ConsumerHandle>> & { readonly aggregator: ConsumerHandle; readonly archiver: ConsumerHandle };
  /** Configured subscribers not running (their file did not load, or their process exited), with why; the rest of the stack goes on. */
  readonly subscriberErrors: Readonly<Record<string, string>>;
  readonly dataApi: DataApiHandle;
  /** The pipeline's health figures now (what GET /v1/health on the query API returns). */
  health(): Promise<PipelineHealth>;
  /** CPU time (microseconds) of each part and of the PostgreSQL server, as last reported, and of this process. */
  cpu(): CpuMicros;
  /** Resolves with a reason when a part exits while the stack is running (a crash, or a kill); a configured subscriber's exit is only in subscriberErrors. */
  readonly failed: Promise<string>;
  /** Resolves once every consumer has read every shard to its tip and Firehose has written its buffers. */
  waitIdle(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts every part, in dependency order, and stops what started if a later part fails. */
export async function startStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const config = options.config ?? loadConfig();
  const dataDir = resolve(options.dataDir ?? '.sluice');
  mkdirSync(dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const parts: (StackPart | SupervisedPart)[] = [];
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
  const subscriberErrors: Record<string, string> = {};
  /** `onExit` instead of failing the stack: a configured subscriber's process may exit alone. */
  const startPart = async (name: string, role: Parameters<typeof StackPart.start>[1], config: unknown, onExit?: (reason: string) => void) => {
    const part = await StackPart.start(name, role, config);
    parts.push(part);
    stops.push(() => part.stop());
    void part.whenExited().then(() => {
      if (stopping) return;
      const reason = `${name} (pid ${part.pid}) exited`;
      if (onExit) onExit(reason);
      else fail(reason);
    });
    recordParts();
    return part;
  };
  /**
   * A consumer's part, restarted when its process dies; `onGiveUp` (else failing the
   * stack) once it died too often. The parts file follows its new process ids.
   */
  const startConsumerPart = async (name: string, config: ConsumerPartConfig, onGiveUp?: (reason: string) => void) => {
    const part = await SupervisedPart.start(name, 'consumer', config, { log, onNewProcess: recordParts });
    parts.push(part);
    stops.push(() => part.stop());
    void part.whenGivenUp().then((reason) => {
      if (stopping) return;
      if (onGiveUp) onGiveUp(reason);
      else fail(reason);
    });
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
      ...(options.transactionIdleTimeoutMs !== undefined ? { transactionIdleTimeoutMs: options.transactionIdleTimeoutMs } : {}),
      region: LOCAL_REGION,
      } satisfies DatabasePartConfig),
      // The archive's layout is the deployed one (core ARCHIVE_LAYOUT): GZIP objects, the
      // same data and error output prefixes, so `sluice replay` reads both alike.
      startPart('firehose', 'firehose', {
        port: options.ports?.firehose ?? 0,
        s3Port: options.ports?.s3 ?? 0,
        dataDir: join(dataDir, 'firehose'),
        faultInjection: options.faultInjection ?? false,
        deliveryStreams: [{
          name: RESOURCE_NAMES.deliveryStream,
          bucket: RESOURCE_NAMES.bucket,
          compression: ARCHIVE_LAYOUT.compression,
          prefix: ARCHIVE_LAYOUT.dataPrefix,
          errorOutputPrefix: ARCHIVE_LAYOUT.errorPrefix,
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
    log(`s3         ${firehose.info.s3Endpoint} (bucket ${RESOURCE_NAMES.bucket}, read-only)`);

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
      [ENV.archiveBucket]: RESOURCE_NAMES.bucket,
      [ENV.s3Endpoint]: String(firehose.info.s3Endpoint),
    };

    // Every registered consumer (the aggregator, the archiver, the configuration's
    // subscribers) runs the same way, each in its own process: its entry file, its
    // mapping, its own position.
    mkdirSync(join(dataDir, 'runner'), { recursive: true });
    const consumerConfig = (sub: RegisteredSubscriber): ConsumerPartConfig => ({
      subscriber: sub,
      config,
      env: { ...env, ...sub.environment },
      mapping: { ...sub.mapping, ...options.mappings?.[sub.name] },
      checkpointPath: join(dataDir, 'runner', `${sub.functionName}.json`),
      onFailureDir: join(dataDir, 'runner', `${sub.functionName}-failures`),
      ...(options.runnerOverrides ? { runnerOverrides: options.runnerOverrides } : {}),
    });
    const consumer = (sub: RegisteredSubscriber) => startConsumerPart(sub.builtIn ? sub.name : sub.functionName, consumerConfig(sub), sub.builtIn ? undefined : (reason) => {
      subscriberErrors[sub.name] = reason;
      log(`subscriber ${sub.name} stopped: ${reason}; the rest of the stack goes on`);
    });
    const registered = registeredSubscribers(config, options.configDir);
    const [ingest, ...started] = await together([
      startPart('ingest', 'ingest', {
        env, port: options.ports?.ingest ?? 0, recordFormat: options.ingestRecordFormat ?? 'compressed',
      } satisfies IngestPartConfig),
      ...registered.filter((sub) => sub.builtIn).map(consumer),
    ]);
    const consumerParts: Record<string, SupervisedPart> = {};
    registered.filter((sub) => sub.builtIn).forEach((sub, i) => { consumerParts[sub.name] = started[i] as SupervisedPart; });
    // A configured subscriber that cannot start is reported; the others, and the stack, go on.
    const configured = registered.filter((sub) => !sub.builtIn);
    const results = await Promise.allSettled(configured.map(consumer));
    results.forEach((r, i) => {
      const sub = configured[i]!;
      if (r.status === 'fulfilled') consumerParts[sub.name] = r.value;
      else {
        subscriberErrors[sub.name] = (r.reason as Error)?.message ?? String(r.reason);
        log(`subscriber ${sub.name} not started: ${subscriberErrors[sub.name]}`);
      }
    });
    log(`consumers  ${Object.entries(consumerParts).map(([name, p]) => `${name} (pid ${p.pid})`).join(', ')} polling ${RESOURCE_NAMES.stream}`);
    env[ENV.ingestUrl] = String(ingest.info.url);
    log(`ingest     POST ${env[ENV.ingestUrl]}`);

    // The query API and dashboard run in this process, beside the supervisor that
    // gathers the parts' reports: the aggregator's process sends each batch's figures
    // over its IPC channel ('batch' events), and its runner's iterator age arrives
    // with its stats every second. Queries go through the same Data API as everyone else.
    const target = { resourceArn: LOCAL_DB_CLUSTER_ARN, secretArn: LOCAL_DB_SECRET_ARN, database: RESOURCE_NAMES.database };
    const rdsData = new RDSDataClient(awsClientConfig(env, 'rdsData'));
    stops.push(async () => rdsData.destroy());
    const quarantine = new QuarantineStore(rdsData, target);
    const aggregator = consumerParts.aggregator!;
    const healthMeter = new PipelineHealthMeter({
      iteratorAgeMs: () => (aggregator.stats as RunnerStats | undefined)?.iteratorAgeMs ?? 0,
      quarantinePending: () => quarantine.count('pending'),
    });
    aggregator.on('batch', (report: unknown) => healthMeter.record(report as AggregatorBatchReport));
    const queryServer = await QueryServer.start(createQueryApi({
      rdsData, target, config, health: () => healthMeter.read(), dashboard: true,
    }), { port: options.ports?.query ?? 0 });
    stops.push(() => queryServer.close());
    env[ENV.queryUrl] = queryServer.url;
    log(`query      ${queryServer.url} (GET /v1/query, /openapi.json; dashboard at /)`);

    // The control API (SLUICE_CONTROL_URL) for tools in other processes: the parts, the
    // consumer-crash fault (with faults on), the naive baseline's consumer on demand.
    let naive: Promise<{ pid: number; stream: string; table: string }> | undefined;
    const control = await StackControl.start({
      parts: () => parts.map((p) => ({
        name: p.name, pid: p.pid, running: p.running, restarts: p instanceof SupervisedPart ? p.restarts : 0, consumer: p instanceof SupervisedPart,
      })),
      ...(options.faultInjection ? {
        crashConsumer: (name, moment, deadlineMs) => {
          const part = parts.find((p): p is SupervisedPart => p instanceof SupervisedPart && p.name === name);
          return part ? part.crash(moment, deadlineMs) : Promise.reject(new PartFailedError(`no consumer named ${name}`));
        },
      } : {}),
      startNaiveBaseline: () => {
        naive ??= startNaiveBaseline({
          env, rdsData, target, shardCount: options.shardCount ?? 4,
          startConsumer: (sub) => startConsumerPart(sub.name, consumerConfig(sub), (reason) => {
            subscriberErrors[sub.name] = reason;
          }),
        });
        naive.catch(() => { naive = undefined; });
        return naive;
      },
    });
    stops.push(() => control.close());
    env[ENV.controlUrl] = control.url;
    log(`control    ${control.url} (GET /_sluice/parts${options.faultInjection ? ', POST /_sluice/faults/consumer-crash' : ''})`);

    // Ready means every part answers a real request through the same clients users have.
    const kinesisClient = new KinesisClient(awsClientConfig(env, 'kinesis'));
    const firehoseClient = new FirehoseClient(awsClientConfig(env, 'firehose'));
    try {
      await Promise.all([
        kinesisClient.send(new DescribeStreamSummaryCommand({ StreamName: RESOURCE_NAMES.stream })),
        rdsData.send(new ExecuteStatementCommand({ ...target, sql: 'SELECT 1' })),
        firehoseClient.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: RESOURCE_NAMES.deliveryStream })),
        fetch(env[ENV.ingestUrl]!, { method: 'GET' }).then((r) => r.arrayBuffer()),
        fetch(`${env[ENV.queryUrl]}/openapi.json`).then((r) => r.arrayBuffer()),
      ]);
    } finally {
      kinesisClient.destroy();
      firehoseClient.destroy();
    }

    writeEnvFile(dataDir, env);
    stops.push(async () => rmSync(join(dataDir, STACK_ENV_FILE), { force: true }));

    const handle = (part: SupervisedPart): ConsumerHandle => ({
      get stats() { return part.stats as RunnerStats | undefined; },
      get running() { return part.running; },
      get restarts() { return part.restarts; },
      waitIdle: () => part.request<void>('waitIdle'),
      stop: () => part.stop(),
    });
    const runners = Object.fromEntries(Object.entries(consumerParts).map(([name, p]) => [name, handle(p)])) as LocalStack['runners'];
    return {
      env, dataDir, parts, failed,
      runners,
      subscriberErrors,
      dataApi: {
        transactionCounts: () => database.request('transactionCounts'),
        resetTransactionPeak: () => database.request('resetTransactionPeak'),
      },
      health: () => healthMeter.read(),
      cpu() {
        const own = process.cpuUsage();
        return Object.assign({ stack: own.user + own.system }, ...parts.map((p) => p.cpu)) as CpuMicros;
      },
      async waitIdle() {
        // A subscriber whose process exited has nothing to wait for (subscriberErrors says why).
        await Promise.all(Object.values(runners).filter((r) => r.running).map((r) => r.waitIdle()));
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
async function together<T extends readonly Promise<StackPart | SupervisedPart>[]>(starts: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(starts);
  const failure = settled.find((r) => r.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
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
