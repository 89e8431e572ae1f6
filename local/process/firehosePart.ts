// The Firehose part: the delivery streams and their buffers, in a process of their own,
// and the buckets they write served read-only over the S3 API beside them.
import { FirehoseServer, S3BucketServer, type DeliveryStreamConfig } from '../firehose/index.ts';
import type { RunningPart } from './RunningPart.ts';

export interface FirehosePartConfig {
  port: number;
  /** Port of the read-only S3 endpoint of the delivery streams' buckets; 0 picks a free one. */
  s3Port: number;
  dataDir: string;
  deliveryStreams: DeliveryStreamConfig[];
  /** Serve the fault-injection admin API at /_sluice/faults on the Firehose port (tests only). */
  faultInjection: boolean;
}

export async function startFirehosePart(config: FirehosePartConfig): Promise<RunningPart> {
  const server = await FirehoseServer.start(config);
  let s3: S3BucketServer;
  try {
    s3 = await S3BucketServer.start({ port: config.s3Port, objectsDir: server.objectsDir, buckets: server.buckets });
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    info: { endpoint: server.endpoint, s3Endpoint: s3.endpoint },
    requests: { flush: async () => { await server.flush(); } },
    stop: async () => {
      await s3.close();
      await server.close();
    },
  };
}
