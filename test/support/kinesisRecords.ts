// Lambda-shaped Kinesis records carrying serialized events, for suites that drive
// the aggregator handler directly.
import type { KinesisStreamRecord } from 'aws-lambda';
import { serializeEvent } from '../../core/index.ts';
import type { SluiceEvent } from '../../core/index.ts';

export function eventRecords(events: SluiceEvent[], arrivalMs: number, firstSequence = 1000): KinesisStreamRecord[] {
  return events.map((e, i) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0', partitionKey: `pk${i % 7}`, sequenceNumber: String(firstSequence + i),
      data: serializeEvent(e).toString('base64'), approximateArrivalTimestamp: arrivalMs / 1000,
    },
    eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `shardId-000000000000:${firstSequence + i}`, eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/q', awsRegion: 'us-east-1', eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/q',
  }));
}
