// The archiver consumer: raw events from the stream to Firehose, one JSON line each.
export { createArchiverHandler } from './createArchiverHandler.ts';
export type { ArchiverHandler } from './createArchiverHandler.ts';
export { archiveLinesOf, errorLine } from './ArchiveLines.ts';
export type { ArchiveErrorReason, ArchiveLinesOfRecord } from './ArchiveLines.ts';
export { packLines, chunkRecords } from './RecordPacker.ts';
export { FirehoseDelivery, DEFAULT_RETRY_POLICY } from './FirehoseDelivery.ts';
export type { ArchiverDeps, ArchiveRetryPolicy, ArchiveLine, PackedRecord } from './types.ts';
