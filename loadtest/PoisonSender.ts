// Malformed records mixed into a run: put straight on the stream with PutRecords
// (the producer SDK refuses invalid events, as it should), each carrying the run's
// marker so the quarantine's count of them can be read back. The aggregator must set
// every one aside and go on.
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { ENV, awsClientConfig, type StackEnv } from '../core/index.ts';
import { TargetNotConfiguredError } from './errors.ts';
import { assertLoopback } from './loopback.ts';

/**
 * The kinds of malformed record a producer bug sends: cut JSON, wrong shapes, bytes
 * that are not text. Each carries its own number: byte-identical records count as one
 * record put twice (the aggregator's record identity), which is not what is tested here.
 */
const SHAPES: ReadonlyArray<(marker: string, n: number) => Buffer> = [
  (m, n) => Buffer.from(`{"type":"${m}.poison","value":${n},"dims":{"cut`),
  (m, n) => Buffer.from(JSON.stringify({ type: 42, value: n, marker: m })),
  (m, n) => Buffer.from(JSON.stringify({ type: `${m}.poison`, value: 'not a number', n })),
  (m, n) => Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(`${m}#${n}`)]),
];

export class PoisonSender {
  private readonly client: KinesisClient;
  private readonly streamName: string;
  sent = 0;
  failed = 0;
  /** Numbers handed out so far (taken when a send starts, so concurrent sends never share one). */
  private numbered = 0;

  constructor(env: StackEnv, allowRemote: boolean, private readonly marker: string) {
    const streamName = env[ENV.streamName];
    if (!streamName) throw new TargetNotConfiguredError(ENV.streamName, 'put poison records on');
    const endpoint = env[ENV.kinesisEndpoint];
    if (!endpoint && !allowRemote) throw new TargetNotConfiguredError(ENV.kinesisEndpoint, 'put poison records on');
    if (endpoint) assertLoopback(endpoint, ENV.kinesisEndpoint, allowRemote);
    this.streamName = streamName;
    this.client = new KinesisClient(awsClientConfig(env, 'kinesis'));
  }

  /** Puts `n` malformed records; resolves when Kinesis has answered for them. */
  async send(n: number): Promise<void> {
    const first = this.numbered;
    this.numbered += n;
    for (let start = 0; start < n; start += 500) {
      const records = Array.from({ length: Math.min(500, n - start) }, (_, i) => {
        const k = first + start + i;
        return { Data: SHAPES[k % SHAPES.length]!(this.marker, k), PartitionKey: `poison-${k}` };
      });
      try {
        const out = await this.client.send(new PutRecordsCommand({ StreamName: this.streamName, Records: records }));
        const failed = out.FailedRecordCount ?? 0;
        this.failed += failed;
        this.sent += records.length - failed;
      } catch {
        this.failed += records.length;
      }
    }
  }

  close(): void {
    this.client.destroy();
  }
}
