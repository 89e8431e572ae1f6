// The Kinesis Producer Library aggregated record format, and sluice's compressed
// variant of it. Any KPL-aware consumer reads our plain aggregates; sluice's
// consumers read both, plus non-aggregated records.
//
//   KPL:        F3 89 9A C2 | protobuf AggregatedRecord | MD5(protobuf)
//   compressed: F3 53 4C 5A | deflate-raw(protobuf AggregatedRecord) | MD5(protobuf)
//
// 0xF3 can never start a JSON text, so neither magic collides with a plain event.
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync, constants as zlibConstants } from 'node:zlib';
import { CorruptRecordError } from './errors.ts';

export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
export const COMPRESSED_MAGIC = Buffer.from([0xf3, 0x53, 0x4c, 0x5a]);
export const DIGEST_BYTES = 16;


export interface AggregatedRecord {
  partitionKeyTable: string[];
  explicitHashKeyTable: string[];
  records: { partitionKeyIndex: number; explicitHashKeyIndex?: number; data: Uint8Array }[];
}

/** One user record recovered from a Kinesis record. */
export interface UserRecord {
  partitionKey: string;
  explicitHashKey?: string;
  data: Buffer;
  /** 0-based position inside the aggregate (0 for a plain record). */
  subSequenceNumber: number;
  aggregated: boolean;
}

// ---- protobuf primitives -------------------------------------------------------

/** Bytes a protobuf varint of `n` takes. */
export function varintSize(n: number): number {
  // Lengths and indexes here are below 2^21 (an aggregate is at most 1 MiB): no loop.
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  let size = 4;
  for (n = Math.floor(n / 0x10000000); n > 0; n = Math.floor(n / 128)) size++;
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  if (n < 0x80) {
    buf[pos] = n;
    return pos + 1;
  }
  if (n < 0x4000) {
    buf[pos] = (n & 0x7f) | 0x80;
    buf[pos + 1] = n >>> 7;
    return pos + 2;
  }
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Bytes of a length-delimited field whose payload is `len` bytes (tag is 1 byte). */
export function fieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

/** Bytes a Record message (with its field header in AggregatedRecord) takes. */
export function recordEntrySize(pkIndex: number, ehkIndex: number | undefined, dataLen: number): number {
  let inner = 1 + varintSize(pkIndex) + fieldSize(dataLen);
  if (ehkIndex !== undefined) inner += 1 + varintSize(ehkIndex);
  return fieldSize(inner);
}

// ---- encoding ------------------------------------------------------------------
// An aggregate is written in two steps: its Record entries back to back as records
// arrive (`writeRecordEntry`), then the whole record around them (`finishAggregate`):
// magic, key tables, the entries, MD5. A producer packs each event once that way.

/**
 * Writes one Record entry (AggregatedRecord field 3) at `pos`, its data copied from
 * `data[from, from + len)`; returns the end. `buf` must have
 * `recordEntrySize(pkIndex, ehkIndex, len)` bytes free there.
 */
export function writeRecordEntry(buf: Buffer, pos: number, pkIndex: number, ehkIndex: number | undefined, data: Uint8Array, from: number, len: number): number {
  if (from < 0 || from + len > data.length) throw new RangeError(`user record region ${from}+${len} lies outside its ${data.length}-byte buffer`);
  pos = writeEntryHeader(buf, pos, pkIndex, ehkIndex, len);
  // Buffer#copy is the cheapest copy that takes offsets (no view to allocate).
  (Buffer.prototype as Buffer).copy.call(data, buf, pos, from, from + len);
  return pos + len;
}

/**
 * `writeRecordEntry` for data given as text, written as UTF-8 straight into `buf`,
 * which must have `recordEntrySize(pkIndex, ehkIndex, 3 * text.length)` bytes free
 * at `pos` (the most UTF-8 a text can take). Returns the end.
 */
export function writeRecordEntryText(buf: Buffer, pos: number, pkIndex: number, ehkIndex: number | undefined, text: string): number {
  // Event text is mostly ASCII: write the header for that length, and fix it if not.
  const guess = recordEntrySize(pkIndex, ehkIndex, text.length) - text.length;
  // Buffer#write stops silently where the buffer ends: refuse rather than truncate.
  if (pos + recordEntrySize(pkIndex, ehkIndex, 3 * text.length) > buf.length) throw new RangeError(`no room for ${text.length} characters of UTF-8 at ${pos} in a ${buf.length}-byte buffer`);
  const bytes = buf.write(text, pos + guess, 'utf8');
  const head = bytes === text.length ? guess : recordEntrySize(pkIndex, ehkIndex, bytes) - bytes;
  if (head !== guess) buf.copyWithin(pos + head, pos + guess, pos + guess + bytes);
  writeEntryHeader(buf, pos, pkIndex, ehkIndex, bytes);
  return pos + head + bytes;
}

/** A Record entry up to its data: field tag and length, partition key index, explicit hash key index, data tag and length. */
function writeEntryHeader(buf: Buffer, pos: number, pkIndex: number, ehkIndex: number | undefined, len: number): number {
  let inner = 1 + varintSize(pkIndex) + fieldSize(len);
  if (ehkIndex !== undefined) inner += 1 + varintSize(ehkIndex);
  buf[pos++] = 0x1a;
  pos = writeVarint(buf, pos, inner);
  buf[pos++] = 0x08;
  pos = writeVarint(buf, pos, pkIndex);
  if (ehkIndex !== undefined) {
    buf[pos++] = 0x10;
    pos = writeVarint(buf, pos, ehkIndex);
  }
  buf[pos++] = 0x1a;
  return writeVarint(buf, pos, len);
}

/** The key tables of an aggregate: partition keys (with their UTF-8 lengths) and explicit hash keys (decimal, ASCII). */
export interface AggregateKeyTables {
  partitionKeys: readonly string[];
  partitionKeyBytes: readonly number[];
  explicitHashKeys: readonly string[];
}

/** Bytes the key tables take in the protobuf body. */
export function keyTablesSize(t: AggregateKeyTables): number {
  let size = 0;
  for (const n of t.partitionKeyBytes) size += fieldSize(n);
  for (const k of t.explicitHashKeys) size += fieldSize(k.length);
  return size;
}

function writeKeyTables(t: AggregateKeyTables, buf: Buffer, pos: number): number {
  for (let i = 0; i < t.partitionKeys.length; i++) {
    const n = t.partitionKeyBytes[i]!;
    buf[pos++] = 0x0a;
    pos = writeVarint(buf, pos, n);
    if (buf.write(t.partitionKeys[i]!, pos, 'utf8') !== n) throw new RangeError(`partition key ${JSON.stringify(t.partitionKeys[i])} is not ${n} bytes of UTF-8`);
    pos += n;
  }
  for (const k of t.explicitHashKeys) {
    buf[pos++] = 0x12;
    pos = writeVarint(buf, pos, k.length);
    pos += buf.write(k, pos, 'latin1');
  }
  return pos;
}

/**
 * The complete Kinesis record data around Record entries written with
 * `writeRecordEntry` into `entries[0, entriesBytes)`: a KPL aggregate (magic,
 * protobuf, MD5), or with `compressionLevel` sluice's compressed one.
 */
export function finishAggregate(tables: AggregateKeyTables, entries: Uint8Array, entriesBytes: number, compressionLevel?: number): Buffer {
  const size = keyTablesSize(tables) + entriesBytes;
  const head = compressionLevel === undefined ? KPL_MAGIC.length : 0;
  const buf = Buffer.allocUnsafe(head + size + (compressionLevel === undefined ? DIGEST_BYTES : 0));
  const at = writeKeyTables(tables, buf, head);
  (Buffer.prototype as Buffer).copy.call(entries, buf, at, 0, entriesBytes);
  if (compressionLevel !== undefined) return compressBody(buf, compressionLevel);
  KPL_MAGIC.copy(buf, 0);
  createHash('md5').update(buf.subarray(head, head + size)).digest().copy(buf, head + size);
  return buf;
}

function encodeAggregate(agg: AggregatedRecord, compressionLevel?: number): Buffer {
  let entriesBytes = 0;
  for (const r of agg.records) entriesBytes += recordEntrySize(r.partitionKeyIndex, r.explicitHashKeyIndex, r.data.length);
  const entries = Buffer.allocUnsafe(entriesBytes);
  let pos = 0;
  for (const r of agg.records) pos = writeRecordEntry(entries, pos, r.partitionKeyIndex, r.explicitHashKeyIndex, r.data, 0, r.data.length);
  const tables = { partitionKeys: agg.partitionKeyTable, partitionKeyBytes: agg.partitionKeyTable.map((k) => Buffer.byteLength(k, 'utf8')), explicitHashKeys: agg.explicitHashKeyTable };
  return finishAggregate(tables, entries, entriesBytes, compressionLevel);
}

/** A complete KPL aggregated record: magic, protobuf, MD5. */
export function encodeAggregatedRecord(agg: AggregatedRecord): Buffer {
  return encodeAggregate(agg);
}

/** sluice's compressed aggregate: magic, deflate-raw of the protobuf, MD5 of the protobuf. */
export function encodeCompressedRecord(agg: AggregatedRecord, level = 6): Buffer {
  return encodeAggregate(agg, level);
}

function compressBody(body: Buffer, level: number): Buffer {
  const digest = createHash('md5').update(body).digest();
  const packed = deflateRawSync(body, { level, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
  return Buffer.concat([COMPRESSED_MAGIC, packed, digest], COMPRESSED_MAGIC.length + packed.length + DIGEST_BYTES);
}

// ---- decoding ------------------------------------------------------------------

class Reader {
  pos: number;
  constructor(readonly buf: Buffer, start: number, readonly end: number) {
    this.pos = start;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new CorruptRecordError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new CorruptRecordError('varint longer than 10 bytes');
  }
  bytesEnd(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.end) throw new CorruptRecordError('length-delimited field runs past the end');
    return end;
  }
  skip(wireType: number): void {
    switch (wireType) {
      case 0: this.varint(); return;
      case 1: this.pos += 8; break;
      case 2: this.pos = this.bytesEnd(); return;
      case 5: this.pos += 4; break;
      default: throw new CorruptRecordError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new CorruptRecordError('field runs past the end');
  }
}

/** Parses the protobuf bytes of an AggregatedRecord; data fields are views into `buf`. */
function decodeAggregatedRecordBody(buf: Buffer, start = 0, end = buf.length): AggregatedRecord {
  const r = new Reader(buf, start, end);
  const agg: AggregatedRecord = { partitionKeyTable: [], explicitHashKeyTable: [], records: [] };
  while (r.pos < end) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if ((field === 1 || field === 2) && wire === 2) {
      const e = r.bytesEnd();
      const s = buf.toString('utf8', r.pos, e);
      r.pos = e;
      (field === 1 ? agg.partitionKeyTable : agg.explicitHashKeyTable).push(s);
    } else if (field === 3 && wire === 2) {
      const e = r.bytesEnd();
      let pk = -1;
      let ehk: number | undefined;
      let data: Buffer | undefined;
      while (r.pos < e) {
        const t = r.varint();
        const f = t >>> 3;
        const w = t & 7;
        if (f === 1 && w === 0) pk = r.varint();
        else if (f === 2 && w === 0) ehk = r.varint();
        else if (f === 3 && w === 2) {
          const de = r.bytesEnd();
          data = buf.subarray(r.pos, de);
          r.pos = de;
        } else r.skip(w); // tags (field 4) and unknown fields
      }
      if (r.pos !== e) throw new CorruptRecordError('record message overruns its length');
      if (pk < 0 || data === undefined) throw new CorruptRecordError('record lacks partition_key_index or data');
      const rec: AggregatedRecord['records'][number] = { partitionKeyIndex: pk, data };
      if (ehk !== undefined) rec.explicitHashKeyIndex = ehk;
      agg.records.push(rec);
    } else {
      r.skip(wire);
    }
  }
  return agg;
}

function hasMagic(data: Buffer, magic: Buffer): boolean {
  return data.length >= 4 && data[0] === magic[0] && data[1] === magic[1] && data[2] === magic[2] && data[3] === magic[3];
}

function toUserRecords(agg: AggregatedRecord): UserRecord[] {
  const out = new Array<UserRecord>(agg.records.length);
  for (let i = 0; i < agg.records.length; i++) {
    const rec = agg.records[i]!;
    const partitionKey = agg.partitionKeyTable[rec.partitionKeyIndex];
    if (partitionKey === undefined) throw new CorruptRecordError(`partition_key_index ${rec.partitionKeyIndex} out of range`);
    const ur: UserRecord = { partitionKey, data: rec.data as Buffer, subSequenceNumber: i, aggregated: true };
    if (rec.explicitHashKeyIndex !== undefined) {
      const ehk = agg.explicitHashKeyTable[rec.explicitHashKeyIndex];
      if (ehk === undefined) throw new CorruptRecordError(`explicit_hash_key_index ${rec.explicitHashKeyIndex} out of range`);
      ur.explicitHashKey = ehk;
    }
    out[i] = ur;
  }
  return out;
}

/** Which format a Kinesis record's data is in. */
export function recordFormat(data: Buffer): 'kpl' | 'compressed' | 'plain' {
  if (hasMagic(data, KPL_MAGIC)) return 'kpl';
  if (hasMagic(data, COMPRESSED_MAGIC)) return 'compressed';
  return 'plain';
}

/**
 * The user records inside one Kinesis record's data: the KPL aggregate's records,
 * the compressed aggregate's records, or the record itself when it is plain.
 * Throws CorruptRecordError for a bad checksum or a truncated body.
 */
export function deaggregate(data: Buffer, partitionKey: string, explicitHashKey?: string): UserRecord[] {
  const format = recordFormat(data);
  if (format === 'plain') {
    const ur: UserRecord = { partitionKey, data, subSequenceNumber: 0, aggregated: false };
    if (explicitHashKey !== undefined) ur.explicitHashKey = explicitHashKey;
    return [ur];
  }
  if (data.length < 4 + DIGEST_BYTES) throw new CorruptRecordError(`${format} record of ${data.length} bytes is too short`);
  const digestStart = data.length - DIGEST_BYTES;
  let body: Buffer;
  if (format === 'kpl') {
    body = data.subarray(4, digestStart);
  } else {
    try {
      body = inflateRawSync(data.subarray(4, digestStart));
    } catch (err) {
      throw new CorruptRecordError(`compressed body does not inflate: ${(err as Error).message}`);
    }
  }
  const digest = createHash('md5').update(body).digest();
  if (!digest.equals(data.subarray(digestStart))) throw new CorruptRecordError(`${format} record MD5 checksum mismatch`);
  return toUserRecords(decodeAggregatedRecordBody(body));
}

/**
 * The identity of a Kinesis record's data, 16 bytes: the MD5 a KPL or compressed
 * aggregate already carries (of its protobuf body), or the MD5 of a plain record's
 * bytes. A producer that resends a record byte for byte (a retried PutRecords whose
 * answer was lost) resends the same identity, so a consumer catches the copy with one
 * row per record instead of one per event. Read the trailer only of a record
 * `deaggregate` accepted: it checks that the trailer matches the body.
 */
export function recordDigest(data: Buffer): Buffer {
  if (recordFormat(data) !== 'plain' && data.length >= 4 + DIGEST_BYTES) return data.subarray(data.length - DIGEST_BYTES);
  return createHash('md5').update(data).digest();
}
