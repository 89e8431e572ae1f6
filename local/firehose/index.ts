// The local Amazon Data Firehose emulator: buffers records and writes objects to a
// directory laid out as bucket/key, and serves those buckets read-only over the S3 API.
export { FirehoseServer } from './FirehoseServer.ts';
export { S3BucketServer } from './S3BucketServer.ts';
export type { S3BucketServerOptions } from './S3BucketServer.ts';
export { FirehoseFaults, ERROR_OUTPUT_TYPES } from './FirehoseFaults.ts';
export type { DeliveryFailure } from './FirehoseFaults.ts';
export { FirehoseConfigError, S3RequestError } from './errors.ts';
export { objectKey } from './ObjectKey.ts';
export type { ArchiveObject, CompressionFormat, DeliveryStreamConfig, FirehoseServerOptions } from './types.ts';
