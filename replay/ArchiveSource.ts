// Where archive objects are read from: the local stack's S3 directory, or an S3
// bucket through @aws-sdk/client-s3. Both list keys in order and return whole bodies;
// which keys belong to a time range is ArchiveRange's business, not theirs.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ReplayError } from './errors.ts';

export interface ArchiveSource {
  /** Shown in progress and summaries (`s3://bucket` or the directory). */
  readonly location: string;
  /** Keys under `prefix` that sort after `startAfter`, in key order. */
  list(prefix: string, startAfter?: string): AsyncIterable<string>;
  /** The object's stored bytes (still compressed). */
  read(key: string): Promise<Buffer>;
}

/** A bucket's directory of `<key>` files, as the local Firehose writes them (`<dataDir>/firehose/s3/<bucket>`). */
export class LocalArchiveSource implements ArchiveSource {
  readonly location: string;

  constructor(private readonly root: string) {
    this.location = root;
    if (!existsSync(root)) throw new ReplayError(`no archive at ${root}: has the local stack archived anything yet?`);
  }

  async *list(prefix: string, startAfter = ''): AsyncIterable<string> {
    const keys: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else keys.push(relative(this.root, p).split(sep).join('/'));
      }
    };
    walk(this.root);
    keys.sort();
    for (const k of keys) if (k.startsWith(prefix) && k > startAfter) yield k;
  }

  async read(key: string): Promise<Buffer> {
    return readFileSync(join(this.root, ...key.split('/')));
  }
}

/** An S3 bucket, listed with ListObjectsV2 pages (1,000 keys each). */
export class S3ArchiveSource implements ArchiveSource {
  readonly location: string;

  constructor(private readonly s3: S3Client, private readonly bucket: string) {
    this.location = `s3://${bucket}`;
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({
        Bucket: this.bucket, Prefix: prefix || undefined, ContinuationToken: token,
        ...(token === undefined && startAfter ? { StartAfter: startAfter } : {}),
      }));
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async read(key: string): Promise<Buffer> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!out.Body) throw new ReplayError(`s3://${this.bucket}/${key} has no body`);
    return Buffer.from(await out.Body.transformToByteArray());
  }
}
