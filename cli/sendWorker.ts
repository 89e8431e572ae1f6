// A worker thread of `sluice send`: a KinesisProducer of its own, fed chunks of lines
// by the main thread (SendWorkerPool), each answered once all its lines have settled.
import { parentPort, workerData } from 'node:worker_threads';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { awsClientConfig } from '../core/index.ts';
import { KinesisProducer } from '../producers/index.ts';
import { LineSender } from './LineSender.ts';
import type { FromSendWorker, SendWorkerData, ToSendWorker } from './SendWorkerProtocol.ts';

const port = parentPort!;
const data = workerData as SendWorkerData;
const client = new KinesisClient(awsClientConfig(data.env, 'kinesis'));
const producer = new KinesisProducer({ client, streamName: data.streamName, compression: data.compression, shardRateLimit: data.shardRateLimit });
const sender = new LineSender(producer);
const post = (m: FromSendWorker) => port.postMessage(m);
const chunks = new Set<Promise<void>>();

port.on('message', (m: ToSendWorker) => {
  if (m.type === 'chunk') {
    const bytes = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
    const sent: Promise<void> = sender.send({ bytes, firstLine: m.firstLine, lines: m.lines }).then(({ accepted, refused }) => {
      chunks.delete(sent);
      post({ type: 'settled', id: m.id, accepted, refused });
    });
    chunks.add(sent);
    return;
  }
  void (async () => {
    await Promise.all(chunks);
    await producer.close();
    client.destroy();
    const { kinesisRecords, kinesisBytes } = producer.metrics;
    post({ type: 'closed', kinesisRecords, kinesisBytes });
    port.close();
  })();
});
