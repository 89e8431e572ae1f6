// The naive baseline's producer: what a team without sluice writes, one PutRecord per
// event (the SDK's own retries, no packing), to a stream of its own on the same
// Kinesis server, so the sluice stream's consumers never see these events.
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordCommand, ResourceNotFoundException } from '@aws-sdk/client-kinesis';
import { ENV, awsClientConfig, type StackEnv } from '../core/index.ts';
import { TargetNotConfiguredError } from './errors.ts';
import { assertLoopback } from './loopback.ts';
import type { LoadSink, SendOutcome } from './types.ts';

export const NAIVE_STREAM = 'sluice-naive-baseline';

export class NaiveSink implements LoadSink {
  readonly description: string;
  readonly endpoint: string;
  readonly client: KinesisClient;
  private putCalls = 0;
  private bytes = 0;
  private throttled = 0;

  constructor(env: StackEnv, allowRemote: boolean) {
    const endpoint = env[ENV.kinesisEndpoint];
    if (!endpoint) throw new TargetNotConfiguredError(ENV.kinesisEndpoint, 'run the naive baseline on (it needs the local stack)');
    assertLoopback(endpoint, ENV.kinesisEndpoint, allowRemote);
    this.endpoint = endpoint;
    this.description = `kinesis stream ${NAIVE_STREAM} at ${endpoint}, one PutRecord per event`;
    this.client = new KinesisClient(awsClientConfig(env, 'kinesis'));
  }

  /** Creates the baseline's stream (as many shards as sluice's) when it does not exist yet. */
  async ensureStream(shardCount: number): Promise<void> {
    try {
      await this.client.send(new DescribeStreamSummaryCommand({ StreamName: NAIVE_STREAM }));
      return;
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
    }
    await this.client.send(new CreateStreamCommand({ StreamName: NAIVE_STREAM, ShardCount: shardCount }));
    for (let i = 0; i < 100; i++) {
      const d = await this.client.send(new DescribeStreamSummaryCommand({ StreamName: NAIVE_STREAM }));
      if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  send(batch: ReadonlyArray<{ event: object; partitionKey: string }>): Promise<SendOutcome>[] {
    return batch.map(async ({ event, partitionKey }): Promise<SendOutcome> => {
      const data = Buffer.from(JSON.stringify(event));
      this.putCalls++;
      try {
        const out = await this.client.send(new PutRecordCommand({ StreamName: NAIVE_STREAM, PartitionKey: partitionKey, Data: data }));
        this.bytes += data.length;
        this.putCalls += (out.$metadata.attempts ?? 1) - 1;
        return { ok: true };
      } catch (err) {
        if ((err as Error).name === 'ProvisionedThroughputExceededException') this.throttled++;
        return { ok: false, error: err instanceof Error ? err.name : String(err) };
      }
    });
  }

  metrics(): Record<string, number> {
    return { putCalls: this.putCalls, kinesisRecords: this.putCalls, kinesisBytes: this.bytes, eventsRetried: 0, eventsThrottled: this.throttled };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
