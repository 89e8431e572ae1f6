// The Firehose part: the delivery streams and their buffers, in a process of their own.
import { FirehoseServer, type DeliveryStreamConfig } from '../firehose/index.ts';
import type { RunningPart } from './RunningPart.ts';

export interface FirehosePartConfig { port: number; dataDir: string; deliveryStreams: DeliveryStreamConfig[] }

export async function startFirehosePart(config: FirehosePartConfig): Promise<RunningPart> {
  const server = await FirehoseServer.start(config);
  return {
    info: { endpoint: server.endpoint },
    requests: { flush: async () => { await server.flush(); } },
    stop: () => server.close(),
  };
}
