// The local Amazon Data Firehose emulator: buffers records and writes objects to a
// directory laid out as bucket/key.
export { FirehoseServer } from './FirehoseServer.ts';
export { FirehoseFaults, ERROR_OUTPUT_TYPES } from './FirehoseFaults.ts';
export type { DeliveryFailure } from './FirehoseFaults.ts';
export { FirehoseConfigError } from './errors.ts';
export { objectKey } from './ObjectKey.ts';
export type { ArchiveObject, CompressionFormat, DeliveryStreamConfig, FirehoseServerOptions } from './types.ts';
