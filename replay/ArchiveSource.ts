// Where archive objects are read from: an S3 bucket through @aws-sdk/client-s3, on AWS
// and on the local stack alike (its Firehose part serves the bucket it writes over the
// S3 API at AWS_ENDPOINT_URL_S3). A source lists keys in order and returns whole
// bodies; which keys belong to a time range is ArchiveRange's business, not its.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ENV, awsErrorCode } from '../core/index.ts';
import { ReplayError } from './errors.ts';

export interface ArchiveSource {
  /** Shown in progress and summaries (`s3://bucket`). */
  readonly location: string;
  /** Keys under `prefix` that sort after `startAfter`, in key order. */
  list(prefix: string, startAfter?: string): AsyncIterable<string>;
  /** The object's stored bytes (still compressed). */
  read(key: string): Promise<Buffer>;
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
      let page;
      try {
        page = await this.s3.send(new ListObjectsV2Command({
          Bucket: this.bucket, Prefix: prefix || undefined, ContinuationToken: token,
          ...(token === undefined && startAfter ? { StartAfter: startAfter } : {}),
        }));
      } catch (err) {
        if (awsErrorCode(err).code !== 'NoSuchBucket') throw err;
        throw new ReplayError(`no bucket ${this.bucket} at ${await this.endpointName()}: is it the stack's ArchiveBucket (${ENV.archiveBucket})?`, { cause: err });
      }
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async endpointName(): Promise<string> {
    const endpoint = await this.s3.config.endpoint?.();
    return endpoint ? `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}` : 'S3';
  }

  async read(key: string): Promise<Buffer> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!out.Body) throw new ReplayError(`s3://${this.bucket}/${key} has no body`);
    return Buffer.from(await out.Body.transformToByteArray());
  }
}
