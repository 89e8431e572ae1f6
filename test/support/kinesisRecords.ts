// The one factory for the records a Lambda Kinesis event source hands a function:
// tests and benchmarks say only what matters to them (the data, the sequence number,
// the shard, the arrival time) and get the rest as the event source mapping fills it.
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { serializeEvent } from '../../core/index.ts';
import type { SluiceEvent } from '../../core/index.ts';

export const TEST_STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/events';

export interface KinesisRecordOptions {
  /** The record's bytes (plain JSON, KPL or compressed). */
  data: Uint8Array;
  sequenceNumber: string;
  /** Default 'pk'. */
  partitionKey?: string;
  /** Default 'shardId-000000000000'. */
  shardId?: string;
  /** approximateArrivalTimestamp in epoch ms. Default: now. */
  arrivalMs?: number;
  /** Default TEST_STREAM_ARN; the record's region is the ARN's. */
  streamArn?: string;
  /** The function's role. Default a role of account 000000000000. */
  invokeIdentityArn?: string;
}

export function kinesisRecord(o: KinesisRecordOptions): KinesisStreamRecord {
  const streamArn = o.streamArn ?? TEST_STREAM_ARN;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: o.partitionKey ?? 'pk',
      sequenceNumber: o.sequenceNumber,
      data: Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength).toString('base64'),
      approximateArrivalTimestamp: (o.arrivalMs ?? Date.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${o.shardId ?? 'shardId-000000000000'}:${o.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: o.invokeIdentityArn ?? 'arn:aws:iam::000000000000:role/sluice',
    awsRegion: streamArn.split(':')[3]!,
    eventSourceARN: streamArn,
  };
}

export function kinesisEvent(records: KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: records };
}

/** One plain-JSON record per event, consecutive sequence numbers, seven partition keys. */
export function eventRecords(events: SluiceEvent[], arrivalMs: number, firstSequence = 1000): KinesisStreamRecord[] {
  return events.map((e, i) => kinesisRecord({
    data: serializeEvent(e), sequenceNumber: String(firstSequence + i), partitionKey: `pk${i % 7}`, arrivalMs,
  }));
}
