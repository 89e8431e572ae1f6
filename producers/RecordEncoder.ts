// One event to one user record: validated and written as JSON (into a shared slab, or
// left as text for an aggregate builder to write), its routing key checked and
// hashed, its size checked against the record limit. KinesisProducer and ShardPacker
// both encode with it.
import { KINESIS, decimalToHashHex, encodeEvent, partitionKeyHashHex, type EventInput } from '../core/index.ts';
import { aggregateOfOneSize, type PackableRecord } from './AggregateBuilder.ts';
import { EventSlab } from './EventSlab.ts';
import { InvalidRoutingKeyError, RecordTooLargeError } from './errors.ts';
import { PartitionKeyHashCache } from './PartitionKeyHashCache.ts';
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
   * Fills `into` with the event's record, its bytes written into a shared slab.
   * Throws EventValidationError (the event), InvalidRoutingKeyError (partition or
   * explicit hash key) or RecordTooLargeError. The partition key defaults to the
   * event id.
   */
  encodeInto<T extends EncodedRecord>(input: EventInput, opts: SendOptions | undefined, into: T, now = Date.now()): T {
    const ev = encodeEvent(input, now);
    this.routeInto(ev.id, opts, into);
    into.data = this.slab.write(ev.json);
    into.dataOffset = this.slab.lastOffset;
    into.dataBytes = this.slab.lastBytes;
    this.checkRecordSize(ev.id, into, into.dataBytes);
    return into;
  }

  /**
   * `encodeInto` that leaves the event as its JSON text, returned, for a builder to
   * write straight into an aggregate (`AggregateBuilder.tryAddText`): `into` gets
   * everything but the data. The same checks and errors.
   */
  encodeText(input: EventInput, opts: SendOptions | undefined, into: EncodedRecord, now = Date.now()): string {
    const ev = encodeEvent(input, now);
    this.routeInto(ev.id, opts, into);
    // Measured only when its worst case (3 bytes per UTF-16 unit) could be too big.
    const worst = 3 * ev.json.length;
    if (this.recordBytes(into, worst) > this.maxRecordBytes) this.checkRecordSize(ev.id, into, Buffer.byteLength(ev.json, 'utf8'));
    into.data = EMPTY;
    into.dataOffset = 0;
    into.dataBytes = 0;
    return ev.json;
  }

  /** Checks the routing options and fills the record's id, keys and hash key. */
  private routeInto(id: string, opts: SendOptions | undefined, into: EncodedRecord): void {
    const partitionKey = opts?.partitionKey ?? id;
    if (typeof partitionKey !== 'string' || partitionKey.length === 0) throw new InvalidRoutingKeyError('partitionKey', 'must be a non-empty string');
    if (partitionKey.length > KINESIS.maxPartitionKeyChars && [...partitionKey].length > KINESIS.maxPartitionKeyChars) {
      throw new InvalidRoutingKeyError('partitionKey', `longer than ${KINESIS.maxPartitionKeyChars} characters`);
    }
    const ehk = opts?.explicitHashKey;
    if (ehk !== undefined && (!EXPLICIT_HASH_KEY.test(ehk) || BigInt(ehk) > KINESIS.maxHashKey)) {
      throw new InvalidRoutingKeyError('explicitHashKey', 'must be a decimal integer 0..2^128-1 without leading zeros');
    }
    if (opts?.partitionKey === undefined) {
      // The default key (the event id) is unique: caching it would only churn the cache.
      into.partitionKeyBytes = Buffer.byteLength(partitionKey, 'utf8');
      into.hashKeyHex = ehk !== undefined ? decimalToHashHex(ehk) : partitionKeyHashHex(partitionKey);
    } else {
      const key = this.keyHashes.get(partitionKey);
      into.partitionKeyBytes = key.bytes;
      into.hashKeyHex = ehk !== undefined ? decimalToHashHex(ehk) : key.hex;
    }
    into.id = id;
    into.partitionKey = partitionKey;
    into.explicitHashKey = ehk;
  }

  /** Bytes the record takes as a Kinesis record of its own (in an aggregate of one when aggregated). */
  private recordBytes(r: EncodedRecord, dataBytes: number): number {
    return this.aggregated ? aggregateOfOneSize(r.partitionKeyBytes, r.explicitHashKey, dataBytes) : dataBytes + r.partitionKeyBytes;
  }

  private checkRecordSize(id: string, r: EncodedRecord, dataBytes: number): void {
    const bytes = this.recordBytes(r, dataBytes);
    if (bytes > this.maxRecordBytes) {
      throw new RecordTooLargeError(`event ${id} with its partition key takes ${bytes} bytes as a Kinesis record, over the ${this.maxRecordBytes}-byte record limit`, { eventId: id });
    }
  }
}
