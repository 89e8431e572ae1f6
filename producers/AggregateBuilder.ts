// Shard-aware packing of user records into one Kinesis record: a KPL aggregate (or
// sluice's compressed variant) whose size is tracked exactly as records are added,
// so the result always fits the record limit. Pure: no clock, no I/O.
import { DIGEST_BYTES, KPL_MAGIC, hashHexToDecimal, fieldSize, finishAggregate, recordEntrySize, writeRecordEntry, writeRecordEntryText } from '../core/index.ts';

/** What packing needs to know of a user record. */
export interface PackableRecord {
  partitionKey: string;
  /** UTF-8 bytes of the partition key (Kinesis counts bytes, not characters). */
  partitionKeyBytes: number;
  explicitHashKey?: string | undefined;
  /** The 128-bit hash key that places the record (its explicit one or MD5 of its key), as 32 hex digits. */
  hashKeyHex: string;
  /** The user record's bytes: all of `data`, or `dataBytes` from `dataOffset` when events share a buffer (`EventSlab`). */
  data: Buffer;
  /** Where the record starts in `data`. Default 0. */
  dataOffset?: number | undefined;
  /** Bytes of the record. Default: the rest of `data`. */
  dataBytes?: number | undefined;
}

/** Bytes of a record's data. */
export function recordDataBytes(r: PackableRecord): number {
  return r.dataBytes ?? r.data.length - (r.dataOffset ?? 0);
}

/** One entry of a PutRecords call and the user records inside it. */
export interface PutEntry<T = PackableRecord> {
  Data: Buffer;
  PartitionKey: string;
  ExplicitHashKey?: string;
  /** Bytes Kinesis counts against its limits: data + partition key. */
  size: number;
  /** What went into it: the producer's events, or ShardPacker's event ids. */
  items: T[];
  aggregated: boolean;
}

const FRAME_BYTES = KPL_MAGIC.length + DIGEST_BYTES;

/**
 * The outer partition key of an aggregate: one of 16 lanes per shard, picked by the
 * first record's hash (its explicit hash key pins the shard). Lambda orders and
 * checkpoints per partition key, so a bounded set of outer keys keeps the consumer's
 * per-key checkpoints to 16 rows a shard, while a ParallelizationFactor up to 10
 * still finds keys to run in parallel. The user records keep their own keys inside.
 */
export function laneKey(hashKeyHex: string): string {
  return LANE_PREFIX + hashKeyHex[hashKeyHex.length - 1]!;
}
const LANE_PREFIX = 'sluice-lane-';
/** UTF-8 bytes of every lane key. */
export const LANE_KEY_BYTES = LANE_PREFIX.length + 1;

/** Kinesis-counted size of one user record sent on its own (not aggregated). */
export function plainRecordSize(r: PackableRecord): number {
  return recordDataBytes(r) + r.partitionKeyBytes;
}

/** Kinesis-counted size of one user record wrapped alone in an aggregate (what `build` makes of it). */
export function aggregateOfOneSize(partitionKeyBytes: number, explicitHashKey: string | undefined, dataBytes: number): number {
  const ehk = explicitHashKey === undefined ? 0 : fieldSize(explicitHashKey.length);
  return FRAME_BYTES + fieldSize(partitionKeyBytes) + ehk + recordEntrySize(0, explicitHashKey === undefined ? undefined : 0, dataBytes) + LANE_KEY_BYTES;
}

/** A single record as its own PutRecords entry. */
export function plainEntry<T extends PackableRecord>(r: T): PutEntry<T> {
  const from = r.dataOffset ?? 0;
  const bytes = recordDataBytes(r);
  // A lone record gets its own copy rather than a view that would pin a shared slab.
  const data = from === 0 && bytes === r.data.length ? r.data : Buffer.from(r.data.subarray(from, from + bytes));
  const e: PutEntry<T> = { Data: data, PartitionKey: r.partitionKey, size: plainRecordSize(r), items: [r], aggregated: false };
  if (r.explicitHashKey !== undefined) e.ExplicitHashKey = r.explicitHashKey;
  return e;
}

/**
 * Packs records for one shard as they come: each record's entry is written once, into
 * a buffer reused from one aggregate to the next, from the record's bytes (`tryAdd`)
 * or straight from its text (`tryAddText`); `build` wraps the entries in the key
 * tables, magic and MD5. `items` are what the caller wants back with the entry.
 */
export class AggregateBuilder<T = PackableRecord> {
  private items: T[] = [];
  private firstHashKeyHex = '';
  private readonly partitionKeys: string[] = [];
  private readonly partitionKeyBytes: number[] = [];
  private readonly explicitHashKeys: string[] = [];
  private readonly pkIndex = new Map<string, number>();
  private readonly ehkIndex = new Map<string, number>();
  private tableBytes = 0;
  private entries: Buffer | undefined;
  private entriesBytes = 0;
  // The key-table indexes of the record being added (`placeKeys`), kept in fields so
  // that adding allocates nothing.
  private pk = 0;
  private ehk: number | undefined;
  private newPk = false;
  private newEhk = false;

  /** `maxBytes`: the largest Kinesis record (uncompressed aggregate + outer key) to build. */
  constructor(readonly maxBytes: number) {}

  get count(): number {
    return this.items.length;
  }

  /** Size the record would have if built now (uncompressed). */
  get size(): number {
    if (this.items.length === 0) return 0;
    return FRAME_BYTES + this.tableBytes + this.entriesBytes + LANE_KEY_BYTES;
  }

  /** Adds `r` (its bytes copied) if the record stays within `maxBytes` (the first record is always taken). */
  tryAdd(r: PackableRecord & T): boolean {
    const tableAdd = this.placeKeys(r);
    const dataBytes = recordDataBytes(r);
    const entryBytes = recordEntrySize(this.pk, this.ehk, dataBytes);
    if (!this.fits(tableAdd + entryBytes)) return false;
    const entries = this.room(entryBytes);
    this.entriesBytes = writeRecordEntry(entries, this.entriesBytes, this.pk, this.ehk, r.data, r.dataOffset ?? 0, dataBytes);
    this.commit(r, tableAdd, r);
    return true;
  }

  /**
   * Adds a record whose data is `text` (its UTF-8 written straight into the
   * aggregate; `r.data` is not read), with `item` to hand back, if the record stays
   * within `maxBytes` (the first record is always taken).
   */
  tryAddText(r: PackableRecord, text: string, item: T): boolean {
    const tableAdd = this.placeKeys(r);
    // A UTF-16 unit is at least one byte: if that much does not fit, the text does not.
    const least = recordEntrySize(this.pk, this.ehk, text.length);
    if (!this.fits(tableAdd + least)) return false;
    const entries = this.room(recordEntrySize(this.pk, this.ehk, 3 * text.length));
    const end = writeRecordEntryText(entries, this.entriesBytes, this.pk, this.ehk, text);
    // Text beyond ASCII takes more: nothing is kept when it then does not fit.
    if (end - this.entriesBytes !== least && !this.fits(tableAdd + end - this.entriesBytes)) return false;
    this.entriesBytes = end;
    this.commit(r, tableAdd, item);
    return true;
  }

  /** Finds the record's key-table indexes (`pk`, `ehk`); returns the bytes its new keys add to the tables. */
  private placeKeys(r: PackableRecord): number {
    let tableAdd = 0;
    const pk = this.pkIndex.get(r.partitionKey);
    this.newPk = pk === undefined;
    if (pk === undefined) {
      this.pk = this.partitionKeys.length;
      tableAdd += fieldSize(r.partitionKeyBytes);
    } else {
      this.pk = pk;
    }
    this.ehk = undefined;
    this.newEhk = false;
    if (r.explicitHashKey !== undefined) {
      this.ehk = this.ehkIndex.get(r.explicitHashKey);
      if (this.ehk === undefined) {
        this.newEhk = true;
        this.ehk = this.explicitHashKeys.length;
        tableAdd += fieldSize(r.explicitHashKey.length); // decimal digits: one byte each
      }
    }
    return tableAdd;
  }

  private fits(add: number): boolean {
    return this.items.length === 0 || FRAME_BYTES + this.tableBytes + this.entriesBytes + add + LANE_KEY_BYTES <= this.maxBytes;
  }

  /** Records the keys `placeKeys` found new, and the item; the entry is already written. */
  private commit(r: PackableRecord, tableAdd: number, item: T): void {
    if (this.newPk) {
      this.partitionKeys.push(r.partitionKey);
      this.partitionKeyBytes.push(r.partitionKeyBytes);
      this.pkIndex.set(r.partitionKey, this.pk);
    }
    if (this.newEhk) {
      this.explicitHashKeys.push(r.explicitHashKey!);
      this.ehkIndex.set(r.explicitHashKey!, this.ehk!);
    }
    this.tableBytes += tableAdd;
    if (this.items.length === 0) this.firstHashKeyHex = r.hashKeyHex;
    this.items.push(item);
  }

  /** The entries buffer with `bytes` free after what is written (grown for a record over `maxBytes`, or text's worst case). */
  private room(bytes: number): Buffer {
    const need = this.entriesBytes + bytes;
    if (this.entries === undefined || need > this.entries.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, this.entries === undefined ? this.maxBytes : 2 * this.maxBytes));
      if (this.entries) this.entries.copy(grown, 0, 0, this.entriesBytes);
      this.entries = grown;
    }
    return this.entries;
  }

  /**
   * The PutRecords entry, and the builder emptied: an aggregate (even of one record,
   * so that its outer key is a lane) whose outer explicit hash key is the first
   * record's hash key, so it lands on the shard all of them map to.
   */
  build(compressionLevel?: number): PutEntry<T> {
    const items = this.items;
    const tables = { partitionKeys: this.partitionKeys, partitionKeyBytes: this.partitionKeyBytes, explicitHashKeys: this.explicitHashKeys };
    const data = finishAggregate(tables, this.entries ?? EMPTY, this.entriesBytes, compressionLevel);
    const entry: PutEntry<T> = {
      Data: data, PartitionKey: laneKey(this.firstHashKeyHex), ExplicitHashKey: hashHexToDecimal(this.firstHashKeyHex),
      size: data.length + LANE_KEY_BYTES, items, aggregated: true,
    };
    this.reset();
    return entry;
  }

  /** Empties the builder without building. */
  reset(): void {
    this.items = [];
    this.partitionKeys.length = 0;
    this.partitionKeyBytes.length = 0;
    this.explicitHashKeys.length = 0;
    this.pkIndex.clear();
    this.ehkIndex.clear();
    this.tableBytes = 0;
    this.entriesBytes = 0;
  }
}

const EMPTY = Buffer.alloc(0);
