// The local Firehose's buckets over the S3 REST API, read through @aws-sdk/client-s3
// as code reading the archive on AWS reads it: objects the local Firehose wrote, listed
// page by page, fetched whole and by range, and S3's errors for what is not there.
// The bucket is read-only: writes are refused and change nothing on disk.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import {
  CreateBucketCommand, DeleteObjectCommand, GetBucketLocationCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand,
  ListObjectsV2Command, PutObjectCommand, S3Client, paginateListObjectsV2, type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { ENV, awsClientConfig } from '../core/index.ts';
import { FirehoseServer, S3BucketServer, type ArchiveObject } from '../local/index.ts';
import { failure } from './support/database.ts';

const BUCKET = 'sluice-archive';
const EMPTY_BUCKET = 'other-archive';

let dataDir: string;
let firehose: FirehoseServer;
let server: S3BucketServer;
let s3: S3Client;
let written: ArchiveObject[];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-s3-endpoint-'));
  firehose = await FirehoseServer.start({
    dataDir, fsync: false,
    deliveryStreams: [
      { name: 'archive', bucket: BUCKET, compression: 'GZIP', bufferIntervalMs: 3_600_000 },
      { name: 'other', bucket: EMPTY_BUCKET },
    ],
  });
  server = await S3BucketServer.start({ objectsDir: firehose.objectsDir, buckets: firehose.buckets });
  // The client sluice builds for a local endpoint (path style, placeholder credentials).
  s3 = new S3Client({ ...awsClientConfig({ [ENV.s3Endpoint]: server.endpoint }, 's3'), maxAttempts: 1 });
  // Seven objects, as the archiver's batches become them.
  const firehoseClient = new FirehoseClient({ endpoint: firehose.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  for (let i = 0; i < 7; i++) {
    const records = Array.from({ length: 50 }, (_, n) => ({ Data: Buffer.from(`{"object":${i},"n":${n}}\n`) }));
    await firehoseClient.send(new PutRecordBatchCommand({ DeliveryStreamName: 'archive', Records: records }));
    await firehose.flush();
  }
  firehoseClient.destroy();
  written = firehose.listObjects(BUCKET);
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  await firehose?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const md5 = (path: string) => `"${createHash('md5').update(readFileSync(path)).digest('hex')}"`;

describe('the local S3 endpoint of the archive buckets', () => {
  it('lists every object Firehose wrote in key order, two a page through continuation tokens, with sizes and ETags', async () => {
    const pages: ListObjectsV2CommandOutput[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: BUCKET })) pages.push(page);

    expect(written).toHaveLength(7);
    expect(pages.map((p) => p.KeyCount)).toEqual([2, 2, 2, 1]);
    expect(pages.map((p) => p.IsTruncated)).toEqual([true, true, true, false]);
    expect(pages.slice(1).map((p) => p.ContinuationToken)).toEqual(pages.slice(0, -1).map((p) => p.NextContinuationToken));
    const contents = pages.flatMap((p) => p.Contents ?? []);
    expect(contents.map((o) => o.Key)).toEqual(written.map((o) => o.key));
    expect(contents.map((o) => o.Size)).toEqual(written.map((o) => readFileSync(o.path).length));
    expect(contents.map((o) => o.ETag)).toEqual(written.map((o) => md5(o.path)));
    expect(contents.every((o) => o.StorageClass === 'STANDARD' && o.LastModified instanceof Date)).toBe(true);
  });

  it('filters by prefix and start-after, and rolls keys up into common prefixes with a delimiter', async () => {
    const hour = written[0]!.key.slice(0, written[0]!.key.lastIndexOf('/') + 1);

    const [byPrefix, none, after, rolled] = await Promise.all([
      s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: hour })),
      s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${hour}nothing-` })),
      s3.send(new ListObjectsV2Command({ Bucket: BUCKET, StartAfter: written[4]!.key })),
      s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' })),
    ]);

    expect(byPrefix.Contents?.map((o) => o.Key)).toEqual(written.map((o) => o.key));
    expect({ count: none.KeyCount, contents: none.Contents }).toEqual({ count: 0, contents: undefined });
    expect(after.Contents?.map((o) => o.Key)).toEqual(written.slice(5).map((o) => o.key));
    expect(rolled.Contents).toBeUndefined();
    expect(rolled.CommonPrefixes?.map((p) => p.Prefix)).toEqual([hour.slice(0, 5)]);
  });

  it('answers GetObject with the stored bytes (still GZIP), HeadObject with their length and ETag, and a range with those bytes', async () => {
    const object = written[3]!;
    const stored = readFileSync(object.path);

    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: object.key }));
    const body = Buffer.from(await got.Body!.transformToByteArray());
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: object.key }));
    const ranged = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: object.key, Range: 'bytes=10-29' }));
    const part = Buffer.from(await ranged.Body!.transformToByteArray());

    expect(body.equals(stored)).toBe(true);
    expect(gunzipSync(body).toString()).toMatch(/^\{"object":\d,"n":0\}\n(.*\n){48}\{"object":\d,"n":49\}\n$/);
    expect({ etag: got.ETag, length: got.ContentLength }).toEqual({ etag: md5(object.path), length: stored.length });
    expect({ etag: head.ETag, length: head.ContentLength }).toEqual({ etag: md5(object.path), length: stored.length });
    expect(ranged.$metadata.httpStatusCode).toBe(206);
    expect(ranged.ContentRange).toBe(`bytes 10-29/${stored.length}`);
    expect(part.equals(stored.subarray(10, 30))).toBe(true);
  });

  it('takes virtual-hosted requests too (Host: <bucket>.localhost), and keeps `..` in a raw path part of the key', async () => {
    const object = written[1]!;
    const get = (path: string, host: string) => new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, path, headers: { host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
    writeFileSync(join(firehose.objectsDir, 'outside.txt'), 'not an object');

    const hosted = await get(`/${object.key}`, `${BUCKET}.localhost:${server.port}`);
    const escaping = await get(`/${BUCKET}/../outside.txt`, `127.0.0.1:${server.port}`);

    expect(hosted.status).toBe(200);
    expect(hosted.body.equals(readFileSync(object.path))).toBe(true);
    expect(escaping.status).toBe(404);
    expect(escaping.body.toString()).toContain('<Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>../outside.txt</Key>');
  });

  it('answers a missing key with NoSuchKey (HeadObject: NotFound) and an unknown bucket with NoSuchBucket, all 404', async () => {
    // A file beside the bucket: `..` in a key is part of the key, never a way out of the bucket.
    writeFileSync(join(firehose.objectsDir, 'beside.txt'), 'not an object');

    const errors = await Promise.all([
      failure(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'no/such/key.gz' }))),
      failure(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: '../beside.txt' }))),
      failure(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: written[0]!.key.slice(0, 5) }))),
      failure(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'no/such/key.gz' }))),
      failure(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' }))),
      failure(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: written[0]!.key }))),
    ]);

    expect(errors.map((e) => e.name)).toEqual(['NoSuchKey', 'NoSuchKey', 'NoSuchKey', 'NotFound', 'NoSuchBucket', 'NoSuchBucket']);
    expect(errors.map((e) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode)).toEqual(Array(6).fill(404));
  });

  it('serves a configured bucket before its first object, and names the buckets, their region and existence', async () => {
    const [empty, buckets, location] = await Promise.all([
      s3.send(new ListObjectsV2Command({ Bucket: EMPTY_BUCKET })),
      s3.send(new ListBucketsCommand({})),
      s3.send(new GetBucketLocationCommand({ Bucket: BUCKET })),
      s3.send(new HeadBucketCommand({ Bucket: BUCKET })),
    ]);
    const missing = await failure(s3.send(new HeadBucketCommand({ Bucket: 'no-such-bucket' })));

    expect({ count: empty.KeyCount, truncated: empty.IsTruncated }).toEqual({ count: 0, truncated: false });
    expect(buckets.Buckets?.map((b) => b.Name)).toEqual([EMPTY_BUCKET, BUCKET]);
    expect(location.LocationConstraint).toBeUndefined();
    expect(missing.name).toBe('NotFound');
  });

  it('refuses writes with 403 AccessDenied and changes nothing on disk', async () => {
    const target = written[0]!;
    const before = readFileSync(target.path);

    const errors = await Promise.all([
      failure(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'new.gz', Body: 'data' }))),
      failure(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: target.key, Body: 'overwritten' }))),
      failure(s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: target.key }))),
      failure(s3.send(new CreateBucketCommand({ Bucket: 'new-bucket' }))),
    ]);

    expect(errors.map((e) => e.name)).toEqual(Array(4).fill('AccessDenied'));
    expect(errors.map((e) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode)).toEqual(Array(4).fill(403));
    expect(firehose.listObjects(BUCKET).map((o) => o.key)).toEqual(written.map((o) => o.key));
    expect(readFileSync(target.path).equals(before)).toBe(true);
  });

  it('refuses a continuation token it did not give and a max-keys that is not a count with 400 InvalidArgument', async () => {
    const token = await failure(s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'not a token!' })));
    const res = await fetch(`${server.endpoint}/${BUCKET}?list-type=2&max-keys=lots`);

    expect(token.name).toBe('InvalidArgument');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidArgument</Code>');
  });
});
