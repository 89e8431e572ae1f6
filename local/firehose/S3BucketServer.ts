// The buckets the local Firehose writes, served read-only over the S3 REST API, so
// anything that reads the archive on AWS (sluice replay's S3ArchiveSource, the AWS CLI,
// any @aws-sdk/client-s3 code) reads the local one unchanged, with AWS_ENDPOINT_URL_S3
// pointing at it. Path-style and `<bucket>.localhost` requests; ListBuckets,
// ListObjectsV2 (prefix, delimiter, start-after, continuation tokens, max-keys,
// encoding-type=url), HeadBucket, GetBucketLocation, GetObject (with a byte range) and
// HeadObject, answered with S3's XML, headers and error codes. Only Firehose writes the
// bucket: every write is refused with 403 AccessDenied, as a read-only policy would.
import http from 'node:http';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { answerClientErrors, closeServer, listenOnLoopback } from '../../core/index.ts';
import { bucketKeys, objectFile } from './BucketDirectory.ts';
import { S3RequestError } from './errors.ts';

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
/** ListObjectsV2 returns at most this many keys a page, whatever max-keys asks. */
const MAX_KEYS = 1000;
/** Query parameters of a GET on a bucket or object that name another operation (ACLs, tags, ...). */
const OTHER_OPERATIONS = ['acl', 'tagging', 'versions', 'uploads', 'policy', 'cors', 'lifecycle', 'versioning', 'attributes', 'torrent', 'legal-hold', 'retention', 'object-lock'];

export interface S3BucketServerOptions {
  /** Port on 127.0.0.1; 0 picks a free one. Default 0. */
  port?: number;
  /** Directory of one directory a bucket (the local Firehose's `objectsDir`). */
  objectsDir: string;
  /** The buckets served; each exists (empty) before its first object is written. */
  buckets: string[];
  /** The region HeadBucket and GetBucketLocation report. Default us-east-1. */
  region?: string;
}

interface Request {
  method: string;
  bucket: string;
  key: string;
  query: URLSearchParams;
  range: string | undefined;
}

export class S3BucketServer {
  private readonly server: http.Server;
  private readonly created = new Date();
  private readonly region: string;
  /** ETags by file, valid while its size and mtime stay (Firehose never rewrites an object). */
  private readonly etags = new Map<string, { size: number; mtimeMs: number; etag: string }>();
  port = 0;

  private constructor(private readonly options: S3BucketServerOptions) {
    this.region = options.region ?? 'us-east-1';
    this.server = http.createServer((req, res) => this.serve(req, res));
    // Bytes that are not HTTP never reach S3's XML; Node's parser answers them (in JSON, as every local endpoint does).
    answerClientErrors(this.server, (status, message) => ({
      headers: { 'content-type': 'application/json' },
      body: { Code: status === 408 ? 'RequestTimeout' : 'BadRequest', Message: message },
    }));
  }

  static async start(options: S3BucketServerOptions): Promise<S3BucketServer> {
    const server = new S3BucketServer(options);
    server.port = await listenOnLoopback(server.server, options.port);
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', randomUUID());
    let request: Request | undefined;
    try {
      request = parseRequest(req);
      this.route(request, res);
    } catch (err) {
      const e = err instanceof S3RequestError ? err : new S3RequestError(500, 'InternalError', String(err));
      const head = (request?.method ?? req.method) === 'HEAD';
      res.statusCode = e.status;
      if (head) {
        res.end();
        return;
      }
      const extra = Object.entries(e.resource).map(([k, v]) => `<${k}>${xml(v)}</${k}>`).join('');
      send(res, e.status, `${XML_HEAD}<Error><Code>${e.code}</Code><Message>${xml(e.message)}</Message>${extra}<RequestId>${requestId}</RequestId></Error>`);
    }
  }

  private route(r: Request, res: http.ServerResponse): void {
    if (r.method !== 'GET' && r.method !== 'HEAD') {
      if (['PUT', 'POST', 'DELETE', 'PATCH'].includes(r.method)) {
        throw new S3RequestError(403, 'AccessDenied', 'Access Denied: the local archive bucket is read-only; only the local Firehose writes it');
      }
      throw new S3RequestError(405, 'MethodNotAllowed', `The specified method is not allowed against this resource: ${r.method}`);
    }
    const other = OTHER_OPERATIONS.find((q) => r.query.has(q));
    if (other) throw new S3RequestError(501, 'NotImplemented', `the local S3 endpoint does not implement ?${other}`);
    if (r.bucket === '') {
      this.listBuckets(res);
      return;
    }
    if (!this.options.buckets.includes(r.bucket)) throw new S3RequestError(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: r.bucket });
    const dir = join(this.options.objectsDir, r.bucket);
    if (r.key !== '') {
      this.object(r, dir, res);
      return;
    }
    if (r.method === 'HEAD') {
      res.setHeader('x-amz-bucket-region', this.region);
      res.statusCode = 200;
      res.end();
    } else if (r.query.has('location')) {
      // us-east-1 is reported as no constraint, as S3 does.
      const constraint = this.region === 'us-east-1' ? '' : xml(this.region);
      send(res, 200, `${XML_HEAD}<LocationConstraint xmlns="${S3_NS}">${constraint}</LocationConstraint>`);
    } else if (r.query.get('list-type') === '2') {
      this.listObjectsV2(r, dir, res);
    } else {
      throw new S3RequestError(501, 'NotImplemented', 'the local S3 endpoint lists with ListObjectsV2 (list-type=2) only');
    }
  }

  private listBuckets(res: http.ServerResponse): void {
    const buckets = [...this.options.buckets].sort()
      .map((b) => `<Bucket><Name>${xml(b)}</Name><CreationDate>${this.created.toISOString()}</CreationDate></Bucket>`).join('');
    send(res, 200, `${XML_HEAD}<ListAllMyBucketsResult xmlns="${S3_NS}"><Owner><ID>local</ID><DisplayName>local</DisplayName></Owner><Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`);
  }

  private listObjectsV2(r: Request, dir: string, res: http.ServerResponse): void {
    const q = r.query;
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const startAfter = q.get('start-after') ?? '';
    const token = q.get('continuation-token');
    const maxKeysText = q.get('max-keys');
    const maxKeys = maxKeysText === null ? MAX_KEYS : Number(maxKeysText);
    if (!Number.isInteger(maxKeys) || maxKeys < 0 || maxKeys > 2 ** 31 - 1) {
      throw new S3RequestError(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: maxKeysText ?? '' });
    }
    const encodingType = q.get('encoding-type');
    if (encodingType !== null && encodingType !== 'url') {
      throw new S3RequestError(400, 'InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
    }
    // The token is the last key or common prefix of the page before it.
    let after = startAfter;
    if (token !== null) {
      after = Buffer.from(token, 'base64url').toString('utf8');
      if (token === '' || Buffer.from(after).toString('base64url') !== token) {
        throw new S3RequestError(400, 'InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token', ArgumentValue: token });
      }
    }

    // Keys and common prefixes in key order; each counts once towards max-keys.
    const entries: { key?: string; commonPrefix?: string }[] = [];
    for (const key of bucketKeys(dir, prefix)) {
      if (Buffer.compare(Buffer.from(key), Buffer.from(startAfter)) <= 0) continue;
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (cut < 0) entries.push({ key });
      else {
        const commonPrefix = key.slice(0, cut + delimiter.length);
        if (entries[entries.length - 1]?.commonPrefix !== commonPrefix) entries.push({ commonPrefix });
      }
    }
    const remaining = entries.filter((e) => Buffer.compare(Buffer.from(e.key ?? e.commonPrefix!), Buffer.from(after)) > 0);
    const page = remaining.slice(0, Math.min(maxKeys, MAX_KEYS));
    const truncated = remaining.length > page.length;
    const last = page[page.length - 1];
    const name = (s: string) => xml(encodingType === 'url' ? encodeKey(s) : s);

    const contents = page.filter((e) => e.key !== undefined).map((e) => {
      const file = join(dir, ...e.key!.split('/'));
      const stat = statSync(file);
      return `<Contents><Key>${name(e.key!)}</Key><LastModified>${stat.mtime.toISOString()}</LastModified>`
        + `<ETag>${xml(this.etag(file, stat.size, stat.mtimeMs))}</ETag><Size>${stat.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    }).join('');
    const commonPrefixes = page.filter((e) => e.commonPrefix !== undefined).map((e) => `<CommonPrefixes><Prefix>${name(e.commonPrefix!)}</Prefix></CommonPrefixes>`).join('');
    send(res, 200, `${XML_HEAD}<ListBucketResult xmlns="${S3_NS}"><Name>${xml(r.bucket)}</Name><Prefix>${name(prefix)}</Prefix>`
      + (delimiter ? `<Delimiter>${name(delimiter)}</Delimiter>` : '')
      + `<MaxKeys>${maxKeys}</MaxKeys>${encodingType ? '<EncodingType>url</EncodingType>' : ''}<KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>`
      + (token !== null ? `<ContinuationToken>${xml(token)}</ContinuationToken>` : '')
      + (truncated && last ? `<NextContinuationToken>${Buffer.from(last.key ?? last.commonPrefix!).toString('base64url')}</NextContinuationToken>` : '')
      + (startAfter ? `<StartAfter>${name(startAfter)}</StartAfter>` : '')
      + contents + commonPrefixes + '</ListBucketResult>');
  }

  private object(r: Request, dir: string, res: http.ServerResponse): void {
    const file = objectFile(dir, r.key);
    if (!file) throw new S3RequestError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: r.key });
    const stat = statSync(file);
    const range = r.range === undefined || r.method === 'HEAD' ? undefined : byteRange(r.range, stat.size);
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('last-modified', stat.mtime.toUTCString());
    res.setHeader('etag', this.etag(file, stat.size, stat.mtimeMs));
    res.setHeader('accept-ranges', 'bytes');
    if (r.method === 'HEAD') {
      res.setHeader('content-length', stat.size);
      res.statusCode = 200;
      res.end();
      return;
    }
    const body = readFileSync(file);
    if (range) {
      res.setHeader('content-range', `bytes ${range.start}-${range.end}/${stat.size}`);
      send(res, 206, body.subarray(range.start, range.end + 1), 'application/octet-stream');
    } else send(res, 200, body, 'application/octet-stream');
  }

  /** The object's ETag: the quoted MD5 of its bytes, as S3 gives an object put in one part. */
  private etag(file: string, size: number, mtimeMs: number): string {
    const known = this.etags.get(file);
    if (known && known.size === size && known.mtimeMs === mtimeMs) return known.etag;
    const etag = `"${createHash('md5').update(readFileSync(file)).digest('hex')}"`;
    this.etags.set(file, { size, mtimeMs, etag });
    return etag;
  }
}

/**
 * Method, bucket and key of a request, path-style (`/bucket/key`) or virtual-hosted
 * (`bucket.localhost`). The raw path is split, not resolved: `..` in a key stays part
 * of the key, as in S3.
 */
function parseRequest(req: http.IncomingMessage): Request {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new S3RequestError(400, 'InvalidURI', "Couldn't parse the specified URI.");
    }
  };
  let bucket: string;
  let key: string;
  if (host.endsWith('.localhost')) {
    bucket = host.slice(0, -'.localhost'.length);
    key = decode(path.slice(1));
  } else {
    const slash = path.indexOf('/', 1);
    bucket = decode(slash < 0 ? path.slice(1) : path.slice(1, slash));
    key = slash < 0 ? '' : decode(path.slice(slash + 1));
  }
  const range = req.headers.range;
  return { method: req.method ?? 'GET', bucket, key, query, range: typeof range === 'string' ? range : undefined };
}

/** A single `bytes=` range within `size`; 416 InvalidRange when it starts past the end; an unreadable header is ignored, as S3 does. */
function byteRange(header: string, size: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (end < start) return undefined;
  }
  if (start >= size) throw new S3RequestError(416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: header, ActualObjectSize: String(size) });
  return { start, end };
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, contentType = 'application/xml'): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.statusCode = status;
  if (!res.hasHeader('content-type')) res.setHeader('content-type', contentType);
  res.setHeader('content-length', bytes.length);
  res.end(bytes);
}

/** encoding-type=url: each character but unreserved ones and `/` percent-encoded. */
function encodeKey(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/');
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
