// One event to one user record: validated, written as JSON bytes into a shared slab,
// its routing key checked and hashed, its size checked against the record limit.
// KinesisProducer and ShardPacker both encode with it.
import { KINESIS, encodeEvent, type EventInput } from '../core/index.ts';
import { aggregateOfOneSize, type PackableRecord } from './AggregateBuilder.ts';
import { EventSlab } from './EventSlab.ts';
import { InvalidRoutingKeyError, RecordTooLargeError } from './errors.ts';
import { PartitionKeyHashCache, decimalToHashHex, partitionKeyHashHex } from './HashKey.ts';
import type { SendOptions } from './types.ts';

const EXPLICIT_HASH_KEY = /^(0|[1-9]\d{0,38})$/;

/** A user record and the id of the event it carries. */
export interface EncodedRecord extends PackableRecord {
  id: string;
  dataOffset: number;
  dataBytes: number;
}

const EMPTY = Buffer.alloc(0);

/** A record to fill with `encodeInto`: every field present, so all records share one shape. */
export function blankRecord(): EncodedRecord {
  return { id: '', partitionKey: '', partitionKeyBytes: 0, explicitHashKey: undefined, hashKeyHex: '', data: EMPTY, dataOffset: 0, dataBytes: 0 };
}

export class RecordEncoder {
  private readonly slab: EventSlab;
  private readonly keyHashes = new PartitionKeyHashCache();

  /**
   * `aggregated`: whether a lone event still travels in an aggregate (its size as a
   * Kinesis record then includes the frame and the lane key).
   */
  constructor(private readonly aggregated: boolean, private readonly maxRecordBytes: number, slabBytes?: number) {
    this.slab = new EventSlab(slabBytes);
  }

  /**
   * Fills `into` with the event's record. Throws EventValidationError (the event),
   * InvalidRoutingKeyError (partition or explicit hash key) or RecordTooLargeError.
   * The partition key defaults to the event id.
   */
  encodeInto<T extends EncodedRecord>(input: EventInput, opts: SendOptions | undefined, into: T, now = Date.now()): T {
    const ev = encodeEvent(input, now);
    // Written now (the checks below may still refuse it: a few wasted slab bytes), so
    // its size is known without measuring the text.
    const data = this.slab.write(ev.json);
    const dataOffset = this.slab.lastOffset;
    const dataBytes = this.slab.lastBytes;
    const partitionKey = opts?.partitionKey ?? ev.id;
    if (typeof partitionKey !== 'string' || partitionKey.length === 0) throw new InvalidRoutingKeyError('partitionKey', 'must be a non-empty string');
    if (partitionKey.length > KINESIS.maxPartitionKeyChars && [...partitionKey].length > KINESIS.maxPartitionKeyChars) {
      throw new InvalidRoutingKeyError('partitionKey', `longer than ${KINESIS.maxPartitionKeyChars} characters`);
    }
    const ehk = opts?.explicitHashKey;
    if (ehk !== undefined && (!EXPLICIT_HASH_KEY.test(ehk) || BigInt(ehk) > KINESIS.maxHashKey)) {
      throw new InvalidRoutingKeyError('explicitHashKey', 'must be a decimal integer 0..2^128-1 without leading zeros');
    }
    let hashKeyHex: string;
    let partitionKeyBytes: number;
    if (opts?.partitionKey === undefined) {
      // The default key (the event id) is unique: caching it would only churn the cache.
      partitionKeyBytes = Buffer.byteLength(partitionKey, 'utf8');
      hashKeyHex = ehk !== undefined ? decimalToHashHex(ehk) : partitionKeyHashHex(partitionKey);
    } else {
      const key = this.keyHashes.get(partitionKey);
      partitionKeyBytes = key.bytes;
      hashKeyHex = ehk !== undefined ? decimalToHashHex(ehk) : key.hex;
    }
    const recordBytes = this.aggregated ? aggregateOfOneSize(partitionKeyBytes, ehk, dataBytes) : dataBytes + partitionKeyBytes;
    if (recordBytes > this.maxRecordBytes) {
      throw new RecordTooLargeError(`event ${ev.id} with its partition key takes ${recordBytes} bytes as a Kinesis record, over the ${this.maxRecordBytes}-byte record limit`, { eventId: ev.id });
    }
    into.id = ev.id;
    into.partitionKey = partitionKey;
    into.partitionKeyBytes = partitionKeyBytes;
    into.explicitHashKey = ehk;
    into.hashKeyHex = hashKeyHex;
    into.data = data;
    into.dataOffset = dataOffset;
    into.dataBytes = dataBytes;
    return into;
  }
}
