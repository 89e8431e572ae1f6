// Shard-aware packing without the sending: events in, PutRecords entries out, each
// aggregate holding only events of the shard its outer explicit hash key lands on.
// The counterpart of aws-kinesis-agg's aggregate() for callers that do their own
// sending (batch jobs, re-publishers); KinesisProducer adds queues, rate limits,
// retries and acknowledgements on top of the same encoder and builder.
import type { EventInput } from '../core/index.ts';
import { AggregateBuilder, plainEntry, type PutEntry } from './AggregateBuilder.ts';
import { ShardMapError } from './errors.ts';
import { packingSettings, type PackingOptions, type PackingSettings } from './PackingSettings.ts';
import { RecordEncoder, blankRecord, type EncodedRecord } from './RecordEncoder.ts';
import type { ShardMap } from './ShardMap.ts';
import type { SendOptions } from './types.ts';

export class ShardPacker {
  private readonly settings: PackingSettings;
  private readonly encoder: RecordEncoder;
  private readonly builders = new Map<string, AggregateBuilder<string>>();
  private done: PutEntry<string>[] = [];
  /** One record reused for every event: each event's text goes straight into its aggregate, so nothing per event outlives `add`. */
  private readonly scratch: EncodedRecord = blankRecord();

  /** `map`: the stream's open shards (`loadShardMap`). */
  constructor(private readonly map: ShardMap, options: PackingOptions = {}) {
    this.settings = packingSettings(options);
    this.encoder = new RecordEncoder(this.settings.aggregation, this.settings.maxRecordBytes);
    for (const id of map.shardIds) this.builders.set(id, new AggregateBuilder<string>(this.settings.maxAggregateBytes));
  }

  /**
   * Validates, encodes and places one event; returns its id. Throws
   * EventValidationError, InvalidRoutingKeyError or RecordTooLargeError, and
   * ShardMapError when no shard of the map holds its hash key.
   */
  add(input: EventInput, opts?: SendOptions): string {
    const record = this.scratch;
    if (!this.settings.aggregation) {
      this.encoder.encodeInto(input, opts, record);
      this.shardOf(record);
      this.done.push({ ...plainEntry(record), items: [record.id] });
      return record.id;
    }
    const text = this.encoder.encodeText(input, opts, record);
    const builder = this.builders.get(this.shardOf(record))!;
    if (!builder.tryAddText(record, text, record.id)) {
      this.done.push(builder.build(this.settings.compressionLevel));
      builder.tryAddText(record, text, record.id);
    }
    return record.id;
  }

  private shardOf(record: EncodedRecord): string {
    const shardId = this.map.shardFor(record.hashKeyHex);
    if (shardId === undefined) throw new ShardMapError(`no open shard of the map holds hash key 0x${record.hashKeyHex}`);
    return shardId;
  }

  /** Takes the records completed so far (full aggregates), in the order they filled; each entry's `items` are its event ids. */
  takeFull(): PutEntry<string>[] {
    const out = this.done;
    this.done = [];
    return out;
  }

  /** Takes every record: the full ones, then each shard's partly filled aggregate. */
  takeAll(): PutEntry<string>[] {
    for (const builder of this.builders.values()) if (builder.count > 0) this.done.push(builder.build(this.settings.compressionLevel));
    return this.takeFull();
  }
}
