// One delivery stream's buffer. Accepted records are appended to a segment file (and
// fdatasync'd) before the client hears back, so a killed process loses nothing it
// acknowledged. A segment becomes exactly one object, named from the segment's id
// and its oldest record: replaying a segment after a crash writes the same key, and
// skips it if it was already written. Records whose delivery fails (injected:
// FirehoseFaults.failDelivery) go to the error output prefix as Firehose writes them.
import {
  closeSync, existsSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync, writeFileSync,
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FIREHOSE } from '../../core/index.ts';
import { FirehoseStorageError } from './errors.ts';
import { objectKey } from './ObjectKey.ts';
import type { DeliveryFailure } from './FirehoseFaults.ts';
import type { ArchiveObject, DeliveryStreamConfig } from './types.ts';

/**
 * Gzip level of the local archive's objects: level 1 takes about a third of the CPU of
 * zlib's default 6 for objects about a third larger (archive lines of bench:e2e's
 * events: 8.5 instead of 11.3 times smaller), on a machine whose cores the stack shares.
 */
const LOCAL_GZIP_LEVEL = 1;

/** Frame header: u32 data length, f64 arrival time (epoch ms). */
const FRAME_HEADER = 12;
const SEGMENT_SUFFIX = '.seg';

interface BufferedRecord { data: Buffer; arrivalMs: number }

export interface BufferDirectories {
  /** Segment files of this delivery stream. */
  segments: string;
  /** `<dataDir>/s3`. */
  s3: string;
  /** Same filesystem as s3, for write-then-rename. */
  tmp: string;
}

export class DeliveryStreamBuffer {
  private records: BufferedRecord[] = [];
  private bytes = 0;
  private segment: { id: string; fd: number; path: string; size: number } | undefined;
  readonly sizeBytes: number;
  readonly intervalMs: number;

  constructor(
    readonly config: DeliveryStreamConfig,
    private readonly dirs: BufferDirectories,
    private readonly fsync: boolean,
    private readonly deliveryFailureOf: (data: Buffer) => DeliveryFailure | undefined = () => undefined,
  ) {
    this.sizeBytes = config.bufferSizeBytes ?? FIREHOSE.defaultBufferBytes;
    this.intervalMs = config.bufferIntervalMs ?? FIREHOSE.defaultBufferIntervalMs;
    mkdirSync(dirs.segments, { recursive: true });
    mkdirSync(dirs.tmp, { recursive: true });
  }

  /** Writes the objects of segments left by a previous process; returns what it wrote. */
  recover(): ArchiveObject[] {
    const written: ArchiveObject[] = [];
    for (const file of readdirSync(this.dirs.segments).filter((f) => f.endsWith(SEGMENT_SUFFIX)).sort()) {
      const path = join(this.dirs.segments, file);
      const records = readSegment(readFileSync(path));
      if (records.length) {
        const obj = this.writeObject(file.slice(0, -SEGMENT_SUFFIX.length), records);
        if (obj) written.push(obj);
      }
      unlinkSync(path);
    }
    return written;
  }

  /**
   * Durably appends records that arrived at `arrivalMs`; writes an object if the buffer
   * is full. Throws FirehoseStorageError, having appended nothing, when the disk refuses
   * the write (the segment is cut back to its last whole frame, so later appends and a
   * replay after a crash read it as before).
   */
  append(datas: Buffer[], arrivalMs: number): ArchiveObject | undefined {
    if (datas.length === 0) return undefined;
    if (!this.segment) {
      const id = randomUUID();
      const path = join(this.dirs.segments, id + SEGMENT_SUFFIX);
      try {
        this.segment = { id, path, fd: openSync(path, 'a'), size: 0 };
      } catch (err) {
        throw new FirehoseStorageError(path, err);
      }
    }
    let size = 0;
    for (const d of datas) size += FRAME_HEADER + d.length;
    const frames = Buffer.allocUnsafe(size);
    let pos = 0;
    for (const d of datas) {
      frames.writeUInt32BE(d.length, pos);
      frames.writeDoubleBE(arrivalMs, pos + 4);
      d.copy(frames, pos + FRAME_HEADER);
      pos += FRAME_HEADER + d.length;
    }
    const segment = this.segment;
    try {
      for (let off = 0; off < frames.length;) off += writeSync(segment.fd, frames, off, frames.length - off);
      if (this.fsync) fdatasyncSync(segment.fd);
    } catch (err) {
      ftruncateSync(segment.fd, segment.size);
      throw new FirehoseStorageError(segment.path, err);
    }
    segment.size += frames.length;
    for (const d of datas) {
      this.records.push({ data: d, arrivalMs });
      this.bytes += d.length;
    }
    if (this.bytes < this.sizeBytes && this.intervalMs !== 0) return undefined;
    // The records are durable and acknowledged; an object that cannot be written yet stays buffered.
    try {
      return this.flush();
    } catch (err) {
      if (!(err instanceof FirehoseStorageError)) throw err;
      return undefined;
    }
  }

  /** Writes an object if the oldest buffered record has waited the buffer interval. */
  flushIfDue(now: number): ArchiveObject | undefined {
    if (this.records.length && now - this.records[0]!.arrivalMs >= this.intervalMs) return this.flush();
    return undefined;
  }

  /** Writes every buffered record as one object now. */
  flush(): ArchiveObject | undefined {
    if (!this.segment) return undefined;
    const { id, fd, path } = this.segment;
    const obj = this.records.length ? this.writeObject(id, this.records) : undefined;
    closeSync(fd);
    unlinkSync(path);
    this.segment = undefined;
    this.records = [];
    this.bytes = 0;
    return obj;
  }

  get bufferedRecords(): number {
    return this.records.length;
  }

  /** Writes the segment's object, and its error object when some records failed delivery. */
  private writeObject(segmentId: string, records: BufferedRecord[]): ArchiveObject | undefined {
    const delivered: BufferedRecord[] = [];
    const failed = new Map<string, { failure: DeliveryFailure; records: BufferedRecord[] }>();
    for (const r of records) {
      const failure = this.deliveryFailureOf(r.data);
      if (!failure) {
        delivered.push(r);
        continue;
      }
      const group = failed.get(failure.errorOutputType) ?? { failure, records: [] };
      group.records.push(r);
      failed.set(failure.errorOutputType, group);
    }
    const gzip = this.config.compression === 'GZIP';
    const extension = gzip ? '.gz' : '';
    for (const [type, group] of failed) {
      // Firehose's default when no error output prefix is configured: `<error-output-type>/` and the hour.
      const prefix = this.config.errorOutputPrefix ?? `${type}/`;
      const now = Date.now();
      const body = Buffer.from(group.records.map((r) => JSON.stringify({
        attemptsMade: 1, arrivalTimestamp: r.arrivalMs, errorCode: group.failure.code, errorMessage: group.failure.message,
        attemptEndingTimestamp: now, rawData: r.data.toString('base64'),
      }) + '\n').join(''));
      this.writeFile(objectKey(this.config.name, prefix, oldestArrival(group.records), segmentId, extension, type), segmentId, body, gzip);
    }
    if (delivered.length === 0) return undefined;
    const key = objectKey(this.config.name, this.config.prefix ?? '', oldestArrival(delivered), segmentId, extension);
    return this.writeFile(key, segmentId, Buffer.concat(delivered.map((r) => r.data)), gzip);
  }

  private writeFile(key: string, segmentId: string, body: Buffer, gzip: boolean): ArchiveObject | undefined {
    const path = join(this.dirs.s3, this.config.bucket, key);
    // A replayed segment whose object was written before the crash: already delivered.
    if (existsSync(path)) return undefined;
    const tmp = join(this.dirs.tmp, `${segmentId}.object`);
    try {
      writeFileSync(tmp, gzip ? gzipSync(body, { level: LOCAL_GZIP_LEVEL }) : body);
      if (this.fsync) {
        const fd = openSync(tmp, 'r+');
        try {
          fdatasyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
      mkdirSync(dirname(path), { recursive: true });
      renameSync(tmp, path);
    } catch (err) {
      // No partial object is left behind; the records stay in their segment.
      rmSync(tmp, { force: true });
      throw new FirehoseStorageError(path, err);
    }
    return { bucket: this.config.bucket, key, path };
  }
}

function oldestArrival(records: BufferedRecord[]): number {
  return records.reduce((m, r) => Math.min(m, r.arrivalMs), Infinity);
}

/** The complete frames of a segment; a torn last frame was never acknowledged. */
function readSegment(buf: Buffer): BufferedRecord[] {
  const out: BufferedRecord[] = [];
  let pos = 0;
  while (pos + FRAME_HEADER <= buf.length) {
    const len = buf.readUInt32BE(pos);
    const arrivalMs = buf.readDoubleBE(pos + 4);
    if (pos + FRAME_HEADER + len > buf.length) break;
    out.push({ data: buf.subarray(pos + FRAME_HEADER, pos + FRAME_HEADER + len), arrivalMs });
    pos += FRAME_HEADER + len;
  }
  return out;
}
