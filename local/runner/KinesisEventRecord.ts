// One Kinesis record as Lambda puts it in a KinesisStreamEvent: base64 data, arrival
// time in epoch seconds, eventID `shardId:sequenceNumber`.
import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';

export interface EventRecordSource {
  shardId: string;
  region: string;
  streamArn: string;
  invokeIdentityArn: string;
}

export function toEventRecord(r: KinesisRecord, src: EventRecordSource): KinesisStreamRecord {
  const seq = r.SequenceNumber!;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: r.PartitionKey!,
      sequenceNumber: seq,
      data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${src.shardId}:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: src.invokeIdentityArn,
    awsRegion: src.region,
    eventSourceARN: src.streamArn,
  };
}
