// The local Kinesis server beside a migrated database behind the local Data API, for
// suites that run the real pipeline (producer, stream, event source runner, aggregator).
import { CreateStreamCommand, KinesisClient, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { KinesisServer } from '../../local/index.ts';
import { startDataApiFixture, type DataApiFixture } from './dataApiFixture.ts';

export interface PipelineFixture {
  data: DataApiFixture;
  kinesisServer: KinesisServer;
  kinesis: KinesisClient;
  /** A new stream of `shards` shards, active, named `<name>-<n>`. */
  createStream(shards: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * `statementTimeoutMs` as in startDataApiFixture; `kinesisMaxAttempts` the Kinesis
 * client's SDK attempts (1 when a test exercises the producer's own retries).
 */
export async function startPipelineFixture(name: string, opts: { statementTimeoutMs?: number; kinesisMaxAttempts?: number } = {}): Promise<PipelineFixture> {
  const data = await startDataApiFixture(name, opts.statementTimeoutMs !== undefined ? { statementTimeoutMs: opts.statementTimeoutMs } : {});
  const kinesisServer = await KinesisServer.start({ streams: [] });
  const kinesis = new KinesisClient({
    region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, endpoint: kinesisServer.endpoint,
    ...(opts.kinesisMaxAttempts !== undefined ? { maxAttempts: opts.kinesisMaxAttempts } : {}),
  });
  let streams = 0;
  return {
    data, kinesisServer, kinesis,
    async createStream(shards) {
      const streamName = `${name}-${++streams}`;
      await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
      await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30 }, { StreamName: streamName });
      return streamName;
    },
    async close() {
      kinesis.destroy();
      await kinesisServer.close();
      await data.close();
    },
  };
}
