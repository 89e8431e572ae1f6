// A small stand-in for the S3 REST API over a directory of `<bucket>/<key>` files (the
// local Firehose's output): ListObjectsV2 (path style, paged) and GetObject, enough for
// @aws-sdk/client-s3 to read the archive as it reads a real bucket. Tests only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalArchiveSource } from '../../replay/index.ts';

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface S3StandIn { endpoint: string; requests: string[]; close(): Promise<void> }

export async function startS3StandIn(dir: string, pageSize = 1000): Promise<S3StandIn> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    serve(req, res).catch((err) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const root = join(dir, decodeURIComponent(bucket));
    const fail = (status: number, code: string) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
    };
    if (req.method !== 'GET' || !existsSync(root)) return fail(404, 'NoSuchBucket');
    if (!key) {
      const prefix = url.searchParams.get('prefix') ?? '';
      const after = url.searchParams.get('continuation-token') ?? url.searchParams.get('start-after') ?? '';
      const max = Math.min(pageSize, Number(url.searchParams.get('max-keys') ?? 1000));
      const all: string[] = [];
      for await (const k of new LocalArchiveSource(root).list(prefix, after)) all.push(k);
      const page = all.slice(0, max);
      const truncated = all.length > page.length;
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`
        + `<Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>`
        + page.map((k) => `<Contents><Key>${xml(k)}</Key><StorageClass>STANDARD</StorageClass></Contents>`).join('')
        + (truncated ? `<NextContinuationToken>${xml(page[page.length - 1]!)}</NextContinuationToken>` : '')
        + `</ListBucketResult>`);
      return;
    }
    if (!existsSync(join(root, ...key.split('/')))) return fail(404, 'NoSuchKey');
    const body = await new LocalArchiveSource(root).read(key);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  };
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((ok) => { server.close(() => ok()); server.closeAllConnections(); }),
  };
}
