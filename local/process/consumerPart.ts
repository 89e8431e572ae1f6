// A consumer part: one registered consumer (the aggregator, the archiver or a
// configured subscriber) in a process of its own: its entry file's handler under an
// event source runner. Every runner of a consumer lives in this one process, so
// limits on a consumer's concurrent invocations hold across its shards, and a
// subscriber that crashes takes only its own process down.
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { ENV, awsClientConfig, requireEnv, type ConsumerMapping, type CrashMoment, type StackEnv } from '../../core/index.ts';
import type { RegisteredSubscriber, SluiceConfig } from '../../consumers/index.ts';
import { EventSourceRunner, type EventSourceRunnerOptions } from '../runner/index.ts';
import { CrashSwitch } from './CrashSwitch.ts';
import { instantiateSubscriber } from './instantiateSubscriber.ts';
import type { PartChannel, RunningPart } from './RunningPart.ts';

export interface ConsumerPartConfig {
  /** The consumer as the registry lists it. */
  subscriber: RegisteredSubscriber;
  /** The stack's configuration (the aggregator's rollups). */
  config: SluiceConfig;
  /** The stack's variables plus the subscriber's own. */
  env: StackEnv;
  mapping: ConsumerMapping;
  checkpointPath: string;
  onFailureDir: string;
  /** Runner settings such as retry back-off (tests). */
  runnerOverrides?: Pick<EventSourceRunnerOptions, 'retryBaseDelayMs' | 'retryMaxDelayMs' | 'pollIntervalMs'>;
}

export async function startConsumerPart(config: ConsumerPartConfig, channel: PartChannel): Promise<RunningPart> {
  const { env, subscriber } = config;
  // What the consumer reports (the aggregator's batch figures) goes to the parent,
  // whose health meter serves GET /v1/health.
  const consumer = await instantiateSubscriber(subscriber, { env, config: config.config, report: (name, value) => channel.emit(name, value) });
  const kinesis = new KinesisClient(awsClientConfig(env, 'kinesis'));
  const m = config.mapping;
  // The consumer-crash fault: the process kills itself inside a batch once the parent
  // has heard where (SupervisedPart.crash), and the parent restarts it.
  const crash = new CrashSwitch((point) => channel.emit('crashing', point, () => process.kill(process.pid, 'SIGKILL')));
  const runner = new EventSourceRunner({
    kinesis,
    streamName: requireEnv(env, ENV.streamName),
    functionName: subscriber.functionName,
    handler: crash.wrap(consumer.handler),
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
    ...config.runnerOverrides,
  });
  runner.start();
  return {
    info: {},
    requests: {
      waitIdle: () => runner.waitIdle(),
      armCrash: async (args) => {
        const { moment, deadlineMs } = args as { moment: CrashMoment; deadlineMs: number };
        crash.arm(moment, deadlineMs);
      },
    },
    stats: () => runner.stats,
    async stop() {
      await runner.stop();
      await consumer.close?.();
      kinesis.destroy();
    },
  };
}
