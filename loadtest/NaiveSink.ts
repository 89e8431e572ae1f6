// The naive baseline's producer: what a team without sluice writes, one PutRecord per
// event (the SDK's own retries, no packing), to a stream of its own on the same
// Kinesis server (the stack creates it with the baseline's consumer), so the sluice
// stream's consumers never see these events.
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { ENV, NAIVE_BASELINE, awsClientConfig, type StackEnv } from '../core/index.ts';
import { TargetNotConfiguredError } from './errors.ts';
import { assertLoopback } from './loopback.ts';
import type { LoadSink, SendOutcome } from './types.ts';

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
    this.description = `kinesis stream ${NAIVE_BASELINE.stream} at ${endpoint}, one PutRecord per event`;
    this.client = new KinesisClient(awsClientConfig(env, 'kinesis'));
  }

  send(batch: ReadonlyArray<{ event: object; partitionKey: string }>): Promise<SendOutcome>[] {
    return batch.map(async ({ event, partitionKey }): Promise<SendOutcome> => {
      const data = Buffer.from(JSON.stringify(event));
      this.putCalls++;
      try {
        const out = await this.client.send(new PutRecordCommand({ StreamName: NAIVE_BASELINE.stream, PartitionKey: partitionKey, Data: data }));
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
