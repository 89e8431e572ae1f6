// Sends load-test events through sluice's producer SDK (shard-aware aggregation,
// per-shard rate limits, retries), so the run measures what applications get.
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { ENV, awsClientConfig, type EventInput, type StackEnv } from '../core/index.ts';
import { KinesisProducer, compressionFor, type RecordFormat } from '../producers/index.ts';
import { TargetNotConfiguredError } from './errors.ts';
import { assertLoopback } from './loopback.ts';
import type { LoadSink, SendOutcome } from './types.ts';

export class KinesisSink implements LoadSink {
  readonly description: string;
  readonly endpoint: string;
  private readonly client: KinesisClient;
  private readonly producer: KinesisProducer;

  /** `deployed`: a deployed stack's stream, reached with the SDK's default credential chain even through a loopback endpoint override. */
  constructor(env: StackEnv, allowRemote: boolean, recordFormat: RecordFormat, deployed = false) {
    const streamName = env[ENV.streamName];
    if (!streamName) throw new TargetNotConfiguredError(ENV.streamName, 'send events to');
    const endpoint = env[ENV.kinesisEndpoint];
    if (!endpoint && !allowRemote) throw new TargetNotConfiguredError(ENV.kinesisEndpoint, 'load (without it the SDK would reach AWS; pass --allow-remote for that)');
    if (endpoint) assertLoopback(endpoint, ENV.kinesisEndpoint, allowRemote);
    this.endpoint = endpoint ?? `kinesis.${env[ENV.region] ?? 'us-east-1'}.amazonaws.com`;
    this.description = `kinesis stream ${streamName} at ${this.endpoint}, ${recordFormat} records`;
    const config = awsClientConfig(env, 'kinesis');
    // A deployed stream takes the default chain's credentials, never the local stack's placeholders when it finds none.
    if (deployed) delete config.credentials;
    this.client = new KinesisClient(config);
    this.producer = new KinesisProducer({ client: this.client, streamName, compression: compressionFor(recordFormat) });
  }

  send(batch: ReadonlyArray<{ event: object; partitionKey: string }>): Promise<SendOutcome>[] {
    return batch.map(({ event, partitionKey }) =>
      this.producer.send(event as EventInput, { partitionKey }).then(
        (): SendOutcome => ({ ok: true }),
        (err: unknown): SendOutcome => ({ ok: false, error: err instanceof Error ? err.name : String(err) }),
      ),
    );
  }

  metrics(): Record<string, number> {
    const m = this.producer.metrics;
    return {
      putCalls: m.putCalls,
      kinesisRecords: m.kinesisRecords,
      kinesisBytes: m.kinesisBytes,
      eventsRetried: m.eventsRetried,
      eventsThrottled: m.eventsThrottled,
    };
  }

  async close(): Promise<void> {
    try {
      await this.producer.close();
    } finally {
      this.client.destroy();
    }
  }
}
