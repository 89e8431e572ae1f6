// A consumer part: one function's event source runner and its handler, in a process
// of their own. Every runner of a consumer lives in this one process, so limits on
// a consumer's concurrent invocations hold across its shards.
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ENV, awsClientConfig, requireEnv, type ConsumerMapping, type StackEnv } from '../../core/index.ts';
import { METRICS_NAMESPACE, createAggregatorHandler, createArchiverHandler, loadConfig } from '../../consumers/index.ts';
import { EventSourceRunner, type KinesisHandler } from '../runner/index.ts';
import type { RunningPart } from './RunningPart.ts';

export interface ConsumerPartConfig {
  consumer: 'aggregator' | 'archiver';
  functionName: string;
  env: StackEnv;
  mapping: ConsumerMapping;
  checkpointPath: string;
  onFailureDir: string;
}

export async function startConsumerPart(config: ConsumerPartConfig): Promise<RunningPart> {
  const { env } = config;
  const kinesis = new KinesisClient(awsClientConfig(env, 'kinesis'));
  const clients: { destroy(): void }[] = [kinesis];
  let handler: KinesisHandler;
  if (config.consumer === 'aggregator') {
    // As in Lambda (consumers/aggregator/lambda.ts): the handler retries on its own
    // terms, inside its transaction, so the SDK must not resend statements itself.
    const rdsData = new RDSDataClient({ ...awsClientConfig(env, 'rdsData'), maxAttempts: 1 });
    clients.push(rdsData);
    handler = createAggregatorHandler({
      rdsData,
      resourceArn: requireEnv(env, ENV.dbClusterArn), secretArn: requireEnv(env, ENV.dbSecretArn), database: requireEnv(env, ENV.dbName),
      config: loadConfig(),
      logger: new Logger({ serviceName: config.functionName }),
      metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: config.functionName }),
    }) as KinesisHandler;
  } else {
    const firehose = new FirehoseClient(awsClientConfig(env, 'firehose'));
    clients.push(firehose);
    handler = createArchiverHandler({ firehose, deliveryStreamName: requireEnv(env, ENV.deliveryStreamName) }) as KinesisHandler;
  }
  const m = config.mapping;
  const runner = new EventSourceRunner({
    kinesis,
    streamName: requireEnv(env, ENV.streamName),
    functionName: config.functionName,
    handler,
    batchSize: m.batchSize,
    maximumBatchingWindowInSeconds: m.maximumBatchingWindowInSeconds,
    parallelizationFactor: m.parallelizationFactor,
    ...(m.maxConcurrentInvocations !== undefined ? { maxConcurrentInvocations: m.maxConcurrentInvocations } : {}),
    bisectBatchOnFunctionError: m.bisectBatchOnFunctionError,
    maximumRetryAttempts: m.maximumRetryAttempts,
    maximumRecordAgeInSeconds: m.maximumRecordAgeInSeconds,
    functionTimeoutMs: m.functionTimeoutSeconds * 1000,
    checkpointPath: config.checkpointPath,
    onFailureDir: config.onFailureDir,
  });
  runner.start();
  return {
    info: {},
    requests: { waitIdle: () => runner.waitIdle() },
    stats: () => runner.stats,
    async stop() {
      await runner.stop();
      for (const c of clients) c.destroy();
    },
  };
}
