// Packs archive lines into Firehose records (whole lines, up to the 1,000 KiB record
// limit) and those into PutRecordBatch calls (500 records, 4 MiB). Pure logic: no I/O.
import { FIREHOSE } from '../../core/index.ts';
import type { ArchiveLine, PackedRecord } from './types.ts';

/** Lines in order, packed greedily; a line is never split across records. */
export function packLines(lines: ArchiveLine[], maxRecordBytes: number = FIREHOSE.maxRecordBytes): PackedRecord[] {
  const out: PackedRecord[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  let first = -1;
  const close = () => {
    if (parts.length) out.push({ data: Buffer.concat(parts, size), firstRecordIndex: first, lines: parts.length });
    parts = [];
    size = 0;
    first = -1;
  };
  for (const l of lines) {
    if (l.line.length > maxRecordBytes) throw new RangeError(`line of ${l.line.length} bytes exceeds the record limit of ${maxRecordBytes} bytes`);
    if (size + l.line.length > maxRecordBytes) close();
    parts.push(l.line);
    size += l.line.length;
    first = first < 0 ? l.recordIndex : Math.min(first, l.recordIndex);
  }
  close();
  return out;
}

/** Consecutive chunks within the PutRecordBatch limits. */
export function chunkRecords<T extends { data: Buffer }>(
  records: T[],
  maxRecords: number = FIREHOSE.maxRecordsPerBatch,
  maxBytes: number = FIREHOSE.maxBytesPerBatch,
): T[][] {
  const out: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const r of records) {
    if (chunk.length && (chunk.length >= maxRecords || bytes + r.data.length > maxBytes)) {
      out.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(r);
    bytes += r.data.length;
  }
  if (chunk.length) out.push(chunk);
  return out;
}
