// The local Amazon Data Firehose endpoint: the AWS JSON 1.1 protocol that
// @aws-sdk/client-firehose speaks (PutRecord, PutRecordBatch, DescribeDeliveryStream,
// ListDeliveryStreams), Firehose's request limits and partial failures, buffering by
// size and interval, and objects written to a directory laid out as bucket/key.
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FIREHOSE, MiB, answerClientErrors, closeServer, listenOnLoopback } from '../../core/index.ts';
import { FAULTS_PATH } from '../dataapi/index.ts';
import { bucketKeys } from './BucketDirectory.ts';
import { DeliveryStreamBuffer } from './DeliveryStreamBuffer.ts';
import { FirehoseConfigError, FirehoseRequestError, FirehoseStorageError } from './errors.ts';
import { FirehoseFaults } from './FirehoseFaults.ts';
import type { ArchiveObject, FirehoseServerOptions } from './types.ts';

const AMZ_JSON = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'Firehose_20150804.';
/** Largest request body read: 4 MiB of data in base64 plus JSON framing. */
const MAX_BODY_BYTES = 8 * MiB;
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

interface PutRecordBatchRequest { DeliveryStreamName?: unknown; Records?: unknown }

export class FirehoseServer {
  readonly faults = new FirehoseFaults();
  private readonly buffers = new Map<string, DeliveryStreamBuffer>();
  private readonly server: http.Server;
  private readonly timer: NodeJS.Timeout;
  private readonly created = Date.now();
  private readonly region: string;
  private readonly accountId: string;
  private closed = false;
  port = 0;
  /** `<dataDir>/s3`: a directory a bucket, holding the objects as `<bucket>/<key>` files. */
  readonly objectsDir: string;

  private constructor(private readonly options: FirehoseServerOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.objectsDir = join(options.dataDir, 's3');
    for (const c of options.deliveryStreams) {
      if (!STREAM_NAME.test(c.name)) throw new FirehoseConfigError(`delivery stream name "${c.name}" must match ${STREAM_NAME}`);
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(c.bucket)) throw new FirehoseConfigError(`bucket name "${c.bucket}" of ${c.name} is not a valid S3 bucket name`);
      if (this.buffers.has(c.name)) throw new FirehoseConfigError(`delivery stream ${c.name} is configured twice`);
      if (c.bufferSizeBytes !== undefined && !(c.bufferSizeBytes > 0)) throw new FirehoseConfigError(`${c.name}: bufferSizeBytes must be positive`);
      if (c.bufferIntervalMs !== undefined && !(c.bufferIntervalMs >= 0)) throw new FirehoseConfigError(`${c.name}: bufferIntervalMs must not be negative`);
      this.buffers.set(c.name, new DeliveryStreamBuffer(c, {
        segments: join(options.dataDir, 'buffers', c.name),
        s3: this.objectsDir,
        tmp: join(options.dataDir, 'tmp'),
      }, options.fsync ?? true, (data) => this.faults.takeDeliveryFailure(data)));
    }
    this.server = http.createServer((req, res) => {
      this.serve(req, res).catch((err) => this.reply(res, 500, { __type: 'InternalFailure', message: String(err) }));
    });
    answerClientErrors(this.server, (status, message) => ({
      headers: { 'content-type': AMZ_JSON, 'x-amzn-errortype': 'InvalidArgumentException' },
      body: { __type: 'InvalidArgumentException', message },
    }));
    const shortest = Math.min(...[...this.buffers.values()].map((b) => b.intervalMs), 1000);
    this.timer = setInterval(() => this.flushDue(), Math.max(20, Math.min(1000, shortest / 4)));
    this.timer.unref();
  }

  /** Writes what a killed predecessor left buffered, then listens. */
  static async start(options: FirehoseServerOptions): Promise<FirehoseServer> {
    const server = new FirehoseServer(options);
    for (const b of server.buffers.values()) b.recover();
    server.port = await listenOnLoopback(server.server, options.port);
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Writes every buffered record as objects now. */
  async flush(): Promise<ArchiveObject[]> {
    const out: ArchiveObject[] = [];
    for (const b of this.buffers.values()) {
      const obj = b.flush();
      if (obj) out.push(obj);
    }
    return out;
  }

  /** Stops accepting requests, then flushes every buffer (what the disk refuses stays in its segment for the next start). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await closeServer(this.server);
    for (const b of this.buffers.values()) {
      try {
        b.flush();
      } catch (err) {
        if (!(err instanceof FirehoseStorageError)) throw err;
        process.stderr.write(`[firehose] ${err.message}; its records stay buffered on disk and are written on the next start\n`);
      }
    }
  }

  /** The buckets the delivery streams write, each a directory under `objectsDir`. */
  get buckets(): string[] {
    return [...new Set([...this.buffers.values()].map((b) => b.config.bucket))].sort();
  }

  /** Objects of a bucket (all buckets when omitted), in key order. */
  listObjects(bucket?: string): ArchiveObject[] {
    const buckets = bucket ? [bucket] : existsSync(this.objectsDir) ? readdirSync(this.objectsDir).sort() : [];
    return buckets.flatMap((b) => {
      const dir = join(this.objectsDir, b);
      return bucketKeys(dir).map((key) => ({ bucket: b, key, path: join(dir, ...key.split('/')) }));
    });
  }

  /** An object's content, decompressed when it was written with GZIP. */
  static readObject(object: ArchiveObject | string): Buffer {
    const path = typeof object === 'string' ? object : object.path;
    const body = readFileSync(path);
    return path.endsWith('.gz') ? gunzipSync(body) : body;
  }

  private flushDue(): void {
    const now = Date.now();
    for (const b of this.buffers.values()) {
      try {
        b.flushIfDue(now);
      } catch (err) {
        process.stderr.write(`[firehose] writing ${b.config.name} failed, kept buffered: ${String(err)}\n`);
      }
    }
  }

  private reply(res: http.ServerResponse, status: number, body: unknown, errorType?: string): void {
    const text = Buffer.from(JSON.stringify(body));
    res.statusCode = status;
    res.setHeader('content-type', AMZ_JSON);
    res.setHeader('content-length', text.length);
    res.setHeader('x-amzn-requestid', randomUUID());
    if (errorType) res.setHeader('x-amzn-errortype', errorType);
    res.end(text);
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        this.reply(res, 413, { __type: 'InvalidArgumentException', message: `request body exceeds ${MAX_BODY_BYTES} bytes` }, 'InvalidArgumentException');
        req.destroy();
        return;
      }
      chunks.push(c as Buffer);
    }
    if (this.options.faultInjection && (req.url ?? '/').split('?')[0] === FAULTS_PATH) {
      this.serveFaults(req.method ?? 'GET', Buffer.concat(chunks), res);
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    try {
      const injected = this.faults.takeCallError(operation);
      if (injected) throw new FirehoseRequestError(injected.code, injected.message, injected.status);
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        throw new FirehoseRequestError('SerializationException', 'request body is not valid JSON');
      }
      // Valid JSON of another shape (null, an array, a number) is refused as Firehose does.
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new FirehoseRequestError('SerializationException', 'request body must be a JSON object');
      }
      const body = parsed as Record<string, unknown>;
      let out: unknown;
      switch (operation) {
        case 'PutRecordBatch': out = this.putRecordBatch(body); break;
        case 'PutRecord': out = this.putRecord(body); break;
        case 'DescribeDeliveryStream': out = this.describe(body); break;
        case 'ListDeliveryStreams': out = { DeliveryStreamNames: [...this.buffers.keys()].sort(), HasMoreDeliveryStreams: false }; break;
        default: throw new FirehoseRequestError('UnknownOperationException', `operation ${target || '(no X-Amz-Target)'} is not supported by the local Firehose`);
      }
      this.reply(res, 200, out);
    } catch (err) {
      if (err instanceof FirehoseRequestError) this.reply(res, err.status, { __type: err.code, message: err.message }, err.code);
      else if (err instanceof FirehoseStorageError) this.reply(res, 503, { __type: 'ServiceUnavailableException', message: err.message }, 'ServiceUnavailableException');
      else throw err;
    }
  }

  private serveFaults(method: string, body: Buffer, res: http.ServerResponse): void {
    try {
      if (method === 'DELETE') this.faults.clear();
      else if (method === 'POST') {
        let spec: unknown;
        try {
          spec = JSON.parse(body.toString('utf8') || 'null');
        } catch {
          throw new FirehoseRequestError('SerializationException', 'fault body is not valid JSON');
        }
        this.faults.apply(spec);
      } else if (method !== 'GET') throw new FirehoseRequestError('InvalidArgumentException', `${method} is not supported on ${FAULTS_PATH}`);
      this.reply(res, 200, this.faults.pending());
    } catch (err) {
      if (err instanceof FirehoseRequestError) this.reply(res, err.status, { __type: err.code, message: err.message }, err.code);
      else throw err;
    }
  }

  private bufferFor(name: unknown): DeliveryStreamBuffer {
    if (typeof name !== 'string' || !STREAM_NAME.test(name)) {
      throw new FirehoseRequestError('ValidationException', `1 validation error detected: Value '${String(name)}' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
    }
    const b = this.buffers.get(name);
    if (!b) throw new FirehoseRequestError('ResourceNotFoundException', `Firehose ${name} under account ${this.accountId} not found.`);
    return b;
  }

  /** Decoded record data, checked against the per-record limit. */
  private decode(record: unknown, where: string): Buffer {
    const data = (record as { Data?: unknown } | null)?.Data;
    if (typeof data !== 'string') throw new FirehoseRequestError('ValidationException', `1 validation error detected: Value null at '${where}.data' failed to satisfy constraint: Member must not be null`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) {
      throw new FirehoseRequestError('SerializationException', `${where}.data is not valid base64`);
    }
    const buf = Buffer.from(data, 'base64');
    if (buf.length > FIREHOSE.maxRecordBytes) {
      throw new FirehoseRequestError('ValidationException', `1 validation error detected: Value at '${where}.data' failed to satisfy constraint: Member must have length less than or equal to ${FIREHOSE.maxRecordBytes}`);
    }
    return buf;
  }

  private putRecordBatch(body: PutRecordBatchRequest) {
    const buffer = this.bufferFor(body.DeliveryStreamName);
    const records = body.Records;
    if (!Array.isArray(records) || records.length < 1 || records.length > FIREHOSE.maxRecordsPerBatch) {
      throw new FirehoseRequestError('ValidationException', `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length between 1 and ${FIREHOSE.maxRecordsPerBatch} (got ${Array.isArray(records) ? records.length : 'none'})`);
    }
    const datas = records.map((r, i) => this.decode(r, `records.${i + 1}.member`));
    const total = datas.reduce((n, d) => n + d.length, 0);
    if (total > FIREHOSE.maxBytesPerBatch) {
      throw new FirehoseRequestError('InvalidArgumentException', `Records size ${total} bytes exceeds the PutRecordBatch limit of ${FIREHOSE.maxBytesPerBatch} bytes`);
    }
    const accepted: Buffer[] = [];
    const responses = datas.map((d) => {
      const fault = this.faults.takeRecordFailure(d);
      if (fault) return { ErrorCode: fault.code, ErrorMessage: fault.message };
      accepted.push(d);
      return { RecordId: recordId() };
    });
    buffer.append(accepted, Date.now());
    return { FailedPutCount: datas.length - accepted.length, Encrypted: false, RequestResponses: responses };
  }

  private putRecord(body: { DeliveryStreamName?: unknown; Record?: unknown }) {
    const buffer = this.bufferFor(body.DeliveryStreamName);
    const data = this.decode(body.Record, 'record');
    const fault = this.faults.takeRecordFailure(data);
    if (fault) throw new FirehoseRequestError(fault.code, fault.message, 503);
    buffer.append([data], Date.now());
    return { RecordId: recordId(), Encrypted: false };
  }

  private describe(body: { DeliveryStreamName?: unknown }) {
    const b = this.bufferFor(body.DeliveryStreamName);
    const c = b.config;
    return {
      DeliveryStreamDescription: {
        DeliveryStreamName: c.name,
        DeliveryStreamARN: `arn:aws:firehose:${this.region}:${this.accountId}:deliverystream/${c.name}`,
        DeliveryStreamStatus: 'ACTIVE',
        DeliveryStreamType: 'DirectPut',
        VersionId: '1',
        CreateTimestamp: this.created / 1000,
        Destinations: [{
          DestinationId: 'destinationId-000000000001',
          ExtendedS3DestinationDescription: {
            RoleARN: `arn:aws:iam::${this.accountId}:role/firehose-${c.name}`,
            BucketARN: `arn:aws:s3:::${c.bucket}`,
            ...(c.prefix ? { Prefix: c.prefix } : {}),
            ...(c.errorOutputPrefix ? { ErrorOutputPrefix: c.errorOutputPrefix } : {}),
            BufferingHints: { SizeInMBs: Math.max(1, Math.round(b.sizeBytes / MiB)), IntervalInSeconds: Math.round(b.intervalMs / 1000) },
            CompressionFormat: c.compression ?? 'UNCOMPRESSED',
            EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
          },
        }],
        HasMoreDestinations: false,
      },
    };
  }
}

/** An opaque record id shaped like Firehose's (a long decimal string). */
function recordId(): string {
  return BigInt('0x' + randomBytes(24).toString('hex')).toString().padStart(58, '1').slice(0, 58);
}
