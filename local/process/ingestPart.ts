// The HTTP ingest part: POST /v1/events through the producer SDK, in a process of
// its own (it validates and packs every event it is sent).
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { ENV, awsClientConfig, closeServer, listenOnLoopback, requireEnv, type StackEnv } from '../../core/index.ts';
import { KinesisProducer, compressionFor, createIngestServer, type RecordFormat } from '../../producers/index.ts';
import type { RunningPart } from './RunningPart.ts';

export interface IngestPartConfig { env: StackEnv; port: number; recordFormat: RecordFormat }

export async function startIngestPart(config: IngestPartConfig): Promise<RunningPart> {
  const kinesis = new KinesisClient(awsClientConfig(config.env, 'kinesis'));
  // An HTTP caller waits for its events' acknowledgement: linger briefly, as the ingest Lambda does.
  const producer = new KinesisProducer({
    client: kinesis, streamName: requireEnv(config.env, ENV.streamName), maxBufferTimeMs: 10, compression: compressionFor(config.recordFormat),
  });
  const server = createIngestServer(producer);
  const port = await listenOnLoopback(server, config.port);
  return {
    info: { url: `http://127.0.0.1:${port}/v1/events` },
    async stop() {
      await closeServer(server);
      await producer.close();
      kinesis.destroy();
    },
  };
}
