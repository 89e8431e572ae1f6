// The local Kinesis server: kinesalite (LevelDB on disk, so accepted records survive
// a restart or a kill) behind a front that
//  - speaks HTTP/1.1 and cleartext HTTP/2 on one port: the v3 SDK's Kinesis client
//    uses HTTP/2 by default, the AWS CLI HTTP/1.1, and kinesalite only the latter;
//  - enforces the limits kinesalite lacks: 5 MiB per PutRecords call, 1 MiB per
//    record counting the partition key, and each shard's write rate, answering with
//    the same partial failures Kinesis sends;
//  - answers every malformed request with the 400 error type Kinesis uses, a body over
//    KINESIS.maxRequestBytes with 413 without buffering it, bounds the time to send
//    headers, a request and idle time as the ingest endpoint does, and a write the
//    disk refuses with a retryable 503 (StoreWriteErrors);
//  - lets tests inject partial failures and whole-call errors (KinesisFaults).
import { EventEmitter } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { KINESIS, answerClientErrors, effectiveHashKey, shardForHash, sleep, type HashKeyRange } from '../../core/index.ts';
import { KinesisFaults } from './KinesisFaults.ts';
import { ShardWriteMeter } from './ShardWriteMeter.ts';
import { answerStoreWriteErrors } from './StoreWriteErrors.ts';

const require = createRequire(import.meta.url);
const kinesalite = require('kinesalite') as (opts: Record<string, unknown>) => http.Server & { close(cb?: (err?: Error) => void): void };

const AMZ_JSON = 'application/x-amz-json-1.1';
const AMZ_CBOR = 'application/x-amz-cbor-1.1';
const TARGET_PREFIX = 'Kinesis_20131202.';
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0');

/** Node's own defaults for an HTTP server (the ingest endpoint runs with them), plus an idle bound. */
export const KINESIS_FRONT_TIMEOUTS = {
  /** From connection (or the previous request) to the end of the headers: 408 after. */
  headersMs: 60_000,
  /** A whole request, body included: 408 after. */
  requestMs: 300_000,
  /** A connection with no bytes either way is closed after this. */
  idleMs: 120_000,
} as const;

export interface KinesisServerOptions {
  /** LevelDB directory; omitted means in memory only. */
  path?: string;
  /** Port on 127.0.0.1; 0 picks a free one. Default 0. */
  port?: number;
  /** Streams created (if missing) on start. */
  streams?: { name: string; shardCount: number }[];
  /** Per-shard write limits; `false` turns throttling off. Default: Kinesis' limits. */
  shardWriteLimits?: { recordsPerSec: number; bytesPerSec: number } | false;
  /** The time shard writes are metered by. Default Date.now (tests pin it to one second). */
  clock?: () => number;
  /** Connection time bounds. Default KINESIS_FRONT_TIMEOUTS. */
  timeouts?: Partial<Record<keyof typeof KINESIS_FRONT_TIMEOUTS, number>>;
}

type Entry = { Data?: string; PartitionKey?: string; ExplicitHashKey?: string };

interface RawResponse { status: number; headers: Record<string, string>; body: Buffer }

export class KinesisServer {
  readonly faults = new KinesisFaults();
  private readonly backend: ReturnType<typeof kinesalite>;
  private readonly handler: (req: unknown, res: unknown) => void;
  private readonly front: net.Server;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly shardMaps = new Map<string, HashKeyRange[]>();
  private readonly meter: ShardWriteMeter | undefined;
  private readonly sockets = new Set<net.Socket>();
  private h2Sessions = new Set<http2.ServerHttp2Session>();
  port = 0;

  private constructor(private readonly options: KinesisServerOptions) {
    if (options.path) mkdirSync(options.path, { recursive: true });
    answerStoreWriteErrors();
    this.backend = kinesalite({
      ...(options.path ? { path: options.path } : {}),
      createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000,
    });
    this.handler = this.backend.listeners('request')[0] as (req: unknown, res: unknown) => void;
    const limits = options.shardWriteLimits ?? { recordsPerSec: KINESIS.shardWriteRecordsPerSec, bytesPerSec: KINESIS.shardWriteBytesPerSec };
    this.meter = limits === false ? undefined : new ShardWriteMeter(limits.recordsPerSec, limits.bytesPerSec);
    const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
      this.serve(req, res).catch((err) => {
        if (res.headersSent || res.destroyed) return;
        res.statusCode = 500;
        res.end(JSON.stringify({ __type: 'InternalFailure', message: String(err) }));
      });
    };
    const timeouts = { ...KINESIS_FRONT_TIMEOUTS, ...options.timeouts };
    this.h1 = http.createServer({
      headersTimeout: timeouts.headersMs,
      requestTimeout: Math.max(timeouts.requestMs, timeouts.headersMs),
      connectionsCheckingInterval: Math.max(10, Math.min(30_000, timeouts.headersMs / 4)),
    }, onRequest);
    // Node checks header and request timeouts once its server emits 'listening'; this
    // one never listens (the front hands it connections), so it is told it does.
    this.h1.emit('listening');
    answerClientErrors(this.h1, (status, message) => ({
      headers: { 'content-type': AMZ_JSON },
      body: { __type: status === 400 ? 'SerializationException' : status === 408 ? 'RequestTimeout' : 'InvalidArgumentException', message },
    }));
    this.h2 = http2.createServer(onRequest);
    this.h2.on('session', (s) => {
      this.h2Sessions.add(s);
      s.on('close', () => this.h2Sessions.delete(s));
    });
    this.front = net.createServer((sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      // Also bounds a connection that never sends a byte (never reaching h1 or h2).
      sock.setTimeout(timeouts.idleMs, () => sock.destroy());
      sock.on('error', () => sock.destroy());
      sock.once('readable', () => {
        const head = sock.read() as Buffer | null;
        if (!head) return;
        sock.unshift(head);
        const isH2 = head.subarray(0, HTTP2_PREFACE.length).equals(HTTP2_PREFACE);
        (isH2 ? this.h2 : this.h1).emit('connection', sock);
      });
    });
  }

  /** Starts the server and creates the configured streams. */
  static async start(options: KinesisServerOptions = {}): Promise<KinesisServer> {
    const server = new KinesisServer(options);
    await new Promise<void>((resolve, reject) => {
      server.front.once('error', reject);
      server.front.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    server.port = (server.front.address() as net.AddressInfo).port;
    for (const s of options.streams ?? []) await server.ensureStream(s.name, s.shardCount);
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Creates a stream unless it exists, and waits until it is ACTIVE. */
  async ensureStream(name: string, shardCount: number): Promise<void> {
    const created = await this.call('CreateStream', { StreamName: name, ShardCount: shardCount });
    if (created.status !== 200 && !created.body.toString().includes('ResourceInUseException')) {
      throw new Error(`CreateStream ${name} failed: ${created.body.toString()}`);
    }
    for (;;) {
      const d = await this.call('DescribeStreamSummary', { StreamName: name });
      const status = (JSON.parse(d.body.toString()) as { StreamDescriptionSummary?: { StreamStatus?: string } }).StreamDescriptionSummary?.StreamStatus;
      if (status === 'ACTIVE') return;
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.front.close(() => resolve());
      for (const s of this.h2Sessions) s.destroy();
      for (const s of this.sockets) s.destroy();
    });
    this.h1.close(); // stops its timeout checks (it never listened)
    // The backend never listened: its close() shuts LevelDB, then reports that the
    // HTTP server was not running, which is expected here.
    await new Promise<void>((resolve, reject) =>
      this.backend.close((err) => (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' ? reject(err) : resolve())),
    );
  }

  /** Sends one JSON request straight to kinesalite. */
  private call(operation: string, payload: unknown): Promise<RawResponse> {
    return this.invoke(
      { 'content-type': AMZ_JSON, 'x-amz-target': TARGET_PREFIX + operation, authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0', 'x-amz-date': '20260101T000000Z' },
      Buffer.from(JSON.stringify(payload)),
    );
  }

  /** Runs kinesalite's request handler on a buffered request, capturing its response. */
  private invoke(headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<RawResponse> {
    return new Promise((resolve) => {
      const req = Object.assign(new EventEmitter(), { headers, method: 'POST', url: '/' });
      const outHeaders: Record<string, string> = {};
      const res = {
        statusCode: 200,
        contentType: undefined as string | undefined,
        setHeader(k: string, v: unknown) { outHeaders[k.toLowerCase()] = String(v); },
        getHeader(k: string) { return outHeaders[k.toLowerCase()]; },
        end(b?: string | Buffer) {
          resolve({ status: this.statusCode, headers: outHeaders, body: b === undefined ? Buffer.alloc(0) : Buffer.from(b) });
        },
      };
      // kinesalite validates on 'end' and throws on shapes its checks did not expect:
      // a request it could not read, as Kinesis says of one it cannot deserialize.
      try {
        this.handler(req, res);
        if (body.length) req.emit('data', body);
        req.emit('end');
      } catch (err) {
        resolve(jsonError(400, 'SerializationException', `the request could not be read: ${(err as Error).message}`));
      }
    });
  }

  private async serve(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): Promise<void> {
    const body = await readBody(req, KINESIS.maxRequestBytes);
    if (body === undefined) {
      const out = jsonError(413, 'InvalidArgumentException', `the request body is larger than ${KINESIS.maxRequestBytes} bytes`);
      // HTTP/1.1 closes the connection rather than read the rest; HTTP/2 resets the stream.
      if (req.httpVersionMajor === 1) out.headers.connection = 'close';
      send(res, out);
      req.resume();
      return;
    }
    const headers: Record<string, string | string[] | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) if (!k.startsWith(':')) headers[k] = v;
    const target = String(headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const json = String(headers['content-type'] ?? '').startsWith(AMZ_JSON);

    let out: RawResponse;
    const injected = this.faults.takeCallError(operation);
    if (injected) {
      out = { status: injected.status, headers: { 'content-type': AMZ_JSON }, body: Buffer.from(JSON.stringify({ __type: injected.code, message: injected.message })) };
    } else if (json && (operation === 'PutRecords' || operation === 'PutRecord')) {
      out = await this.put(operation, headers, body);
    } else {
      out = await this.invoke(headers, body);
      if (operation === 'SplitShard' || operation === 'MergeShards' || operation === 'CreateStream' || operation === 'DeleteStream') this.shardMaps.clear();
    }
    if (out.status === 200 && this.faults.takeLostResponse(operation)) {
      // Done, but the answer never arrives: reset the HTTP/2 stream or the HTTP/1.1 connection.
      if ('stream' in res) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else res.socket?.destroy();
      return;
    }
    send(res, asJsonError(out, String(headers['content-type'] ?? '').startsWith(AMZ_CBOR)));
  }

  private async shardMap(streamName: string): Promise<HashKeyRange[]> {
    let map = this.shardMaps.get(streamName);
    if (map) return map;
    const r = await this.call('DescribeStream', { StreamName: streamName });
    const desc = JSON.parse(r.body.toString()) as { StreamDescription?: { Shards: { ShardId: string; HashKeyRange: { StartingHashKey: string; EndingHashKey: string }; SequenceNumberRange: { EndingSequenceNumber?: string } }[] } };
    map = (desc.StreamDescription?.Shards ?? [])
      .filter((s) => s.SequenceNumberRange.EndingSequenceNumber === undefined)
      .map((s) => ({ shardId: s.ShardId, startingHashKey: BigInt(s.HashKeyRange.StartingHashKey), endingHashKey: BigInt(s.HashKeyRange.EndingHashKey) }))
      .sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : 1));
    this.shardMaps.set(streamName, map);
    return map;
  }

  /** PutRecord(s) with size limits, shard throttling and injected per-record failures. */
  private async put(operation: string, headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<RawResponse> {
    const bad = (message: string): RawResponse => jsonError(400, 'InvalidArgumentException', message);
    let request: { StreamName?: string; Records?: Entry[] } & Entry;
    try {
      request = JSON.parse(body.toString()) as typeof request;
    } catch {
      return this.invoke(headers, body);
    }
    // A request of another shape is kinesalite's to refuse, with Kinesis' own error types.
    const entries = putEntries(operation, request);
    if (!entries) return this.invoke(headers, body);
    const sizes = entries.map((e) => Math.floor(((e.Data?.length ?? 0) * 3) / 4) - ((e.Data ?? '').endsWith('==') ? 2 : (e.Data ?? '').endsWith('=') ? 1 : 0) + Buffer.byteLength(e.PartitionKey ?? '', 'utf8'));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (operation === 'PutRecords' && total > KINESIS.maxBytesPerPut) {
      return bad(`Records total size ${total} bytes exceeds the PutRecords limit of ${KINESIS.maxBytesPerPut} bytes`);
    }
    for (let i = 0; i < sizes.length; i++) {
      if (sizes[i]! > KINESIS.maxRecordBytes) {
        return bad(`Record ${i} size ${sizes[i]} bytes (data + partition key) exceeds the limit of ${KINESIS.maxRecordBytes} bytes`);
      }
    }
    const streamName = request.StreamName ?? '';
    const failures = new Map<number, { code: string; message: string }>();
    const map = this.meter || this.faults.hasRecordFaults() ? await this.shardMap(streamName) : [];
    const now = (this.options.clock ?? Date.now)();
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const injected = this.faults.takeRecordFailure();
      if (injected) {
        failures.set(i, injected);
        continue;
      }
      if (!this.meter || e.PartitionKey === undefined) continue;
      let shard: HashKeyRange | undefined;
      try {
        shard = shardForHash(map, effectiveHashKey(e.PartitionKey, e.ExplicitHashKey));
      } catch {
        continue; // an invalid hash key: kinesalite reports it
      }
      if (shard && !this.meter.tryWrite(streamName, shard.shardId, sizes[i]!, now)) {
        failures.set(i, { code: 'ProvisionedThroughputExceededException', message: `Rate exceeded for shard ${shard.shardId} in stream ${streamName} under account 000000000000.` });
      }
    }
    if (failures.size === 0) return this.invoke(headers, body);
    if (operation === 'PutRecord') {
      const f = failures.get(0)!;
      return { status: 400, headers: { 'content-type': AMZ_JSON }, body: Buffer.from(JSON.stringify({ __type: f.code, message: f.message })) };
    }
    const kept = entries.filter((_, i) => !failures.has(i));
    let accepted: { Records: unknown[]; EncryptionType?: string } = { Records: [] };
    if (kept.length) {
      const r = await this.invoke(headers, Buffer.from(JSON.stringify({ ...request, Records: kept })));
      if (r.status !== 200) return r;
      accepted = JSON.parse(r.body.toString()) as typeof accepted;
    }
    let k = 0;
    const records = entries.map((_, i) => {
      const f = failures.get(i);
      return f ? { ErrorCode: f.code, ErrorMessage: f.message } : accepted.Records[k++];
    });
    return {
      status: 200,
      headers: { 'content-type': AMZ_JSON },
      body: Buffer.from(JSON.stringify({ FailedRecordCount: failures.size, Records: records, ...(accepted.EncryptionType ? { EncryptionType: accepted.EncryptionType } : {}) })),
    };
  }
}

/** The entries of a PutRecord(s) request whose members have the types Kinesis requires, or undefined. */
function putEntries(operation: string, request: unknown): Entry[] | undefined {
  const isEntry = (e: unknown): e is Entry => typeof e === 'object' && e !== null && !Array.isArray(e)
    && ['Data', 'PartitionKey', 'ExplicitHashKey'].every((k) => (e as Record<string, unknown>)[k] === undefined || typeof (e as Record<string, unknown>)[k] === 'string');
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return undefined;
  const { StreamName: name } = request as { StreamName?: unknown };
  if (name !== undefined && typeof name !== 'string') return undefined;
  if (operation === 'PutRecord') return isEntry(request) ? [request] : undefined;
  const records = (request as { Records?: unknown }).Records;
  if (records === undefined) return [];
  return Array.isArray(records) && records.every(isEntry) ? records : undefined;
}

function jsonError(status: number, type: string, message: string): RawResponse {
  return { status, headers: { 'content-type': AMZ_JSON }, body: Buffer.from(JSON.stringify({ __type: type, message })) };
}

/**
 * kinesalite's answers to requests that are not AWS JSON (no or another content type,
 * another method) are XML, CBOR or empty, as Kinesis' are; the front's every error is
 * JSON (CBOR to a CBOR request), with the same status and error type.
 */
function asJsonError(out: RawResponse, cborRequest: boolean): RawResponse {
  if (out.status < 400) return out;
  const type = out.headers['content-type'] ?? '';
  if (type.startsWith(AMZ_JSON) || (cborRequest && type.startsWith(AMZ_CBOR))) return out;
  const text = out.body.toString('latin1');
  const name = /^<(\w+)/.exec(text)?.[1] ?? /(\w+Exception)/.exec(text)?.[1] ?? (out.status === 413 ? 'InvalidArgumentException' : 'SerializationException');
  const message = /<Message>([\s\S]*?)<\/Message>/.exec(text)?.[1] ?? `request refused (${name})`;
  const parsed = safeJson(text) as { __type?: string; message?: string; Output?: { __type?: string } } | undefined;
  const jsonType = parsed?.__type ?? parsed?.Output?.__type?.replace(/^.*#/, '');
  return jsonError(out.status, jsonType ?? name, parsed?.message ?? message);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The body, or undefined once it passes `max` bytes; what is left is not buffered
 * (the caller answers, then lets it drain or the connection close).
 */
function readBody(req: http.IncomingMessage | http2.Http2ServerRequest, max: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= max) {
        chunks.push(c);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      chunks.length = 0;
      resolve(undefined);
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse | http2.Http2ServerResponse, out: RawResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = out.status;
  for (const [k, v] of Object.entries(out.headers)) {
    if (k === 'content-length' || k === 'transfer-encoding') continue;
    if (k === 'connection' && res instanceof http2.Http2ServerResponse) continue;
    res.setHeader(k, v);
  }
  res.setHeader('content-length', out.body.length);
  res.end(out.body);
}
