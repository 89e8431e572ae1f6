// The Kinesis part: kinesalite and its front, in a process of their own.
import { KinesisServer } from '../kinesis/index.ts';
import type { RunningPart } from './RunningPart.ts';

export interface KinesisPartConfig { path: string; port: number; streams: { name: string; shardCount: number }[] }

export async function startKinesisPart(config: KinesisPartConfig): Promise<RunningPart> {
  const server = await KinesisServer.start(config);
  return { info: { endpoint: server.endpoint }, stop: () => server.close() };
}
