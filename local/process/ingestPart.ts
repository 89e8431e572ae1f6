// The HTTP ingest part: POST /v1/events through the producer SDK, in a process of
// its own (it validates and packs every event it is sent).
import type { AddressInfo } from 'node:net';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { ENV, awsClientConfig, requireEnv, type StackEnv } from '../../core/index.ts';
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
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(config.port, '127.0.0.1', () => ok());
  });
  return {
    info: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events` },
    async stop() {
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
      await producer.close();
      kinesis.destroy();
    },
  };
}
