// Code shared by producers and consumers: the event shape, service limits, the
// record formats (and the events a record holds, from any producer), shard hashing and sequence-number order.
export { SluiceError, EventValidationError, EventNotJsonError, EventNotUtf8Error, CorruptRecordError } from './errors.ts';
export { EVENT_LIMITS, normalizeEvent, parseEvent, parseStreamEvent, serializeEvent, deserializeEvent, encodeEvent } from './event.ts';
export type { EventInput, IdOrigin, SluiceEvent, EncodedEvent, StreamEvent, StreamEventDefaults, DerivedField } from './event.ts';
export {
  MAX_INFLATED_RECORD_BYTES, derivedEventId, parseEntryJson, readStreamEvent, scannedEventReader, readRecordEvents,
} from './recordEvents.ts';
export type { RecordPosition, RecordFault, RecordFaultKind, RecordEvents, EntryReader, EntryContext } from './recordEvents.ts';
export { scanEvent } from './eventScan.ts';
export type { ScannedEvent } from './eventScan.ts';
export { stripBom, firstInvalidUtf8, parseJsonBytes, invalidUtf8Field, invalidUtf8Error, eventJsonFromBytes } from './utf8.ts';
export type { JsonFromBytes } from './utf8.ts';
export { newEventId } from './ids.ts';
export { MiB, KiB, KINESIS, LAMBDA_ESM, DATA_API, FIREHOSE } from './limits.ts';
export { compareSequenceNumbers } from './sequence.ts';
export {
  partitionKeyHash, effectiveHashKey, shardForHash, partitionKeyHashHex, effectiveHashHex, decimalToHashHex, hashHexToDecimal,
} from './hash.ts';
export { backoffDelayMs, backoffCeilingMs } from './backoff.ts';
export type { Backoff } from './backoff.ts';
export { sleep } from './sleep.ts';
export { fnv1a, FNV_OFFSET, FNV_PRIME } from './fnv1a.ts';
export { awsErrorCode } from './awsErrorCode.ts';
export type { AwsErrorCode } from './awsErrorCode.ts';
export type { HashKeyRange } from './hash.ts';
export {
  KPL_MAGIC, COMPRESSED_MAGIC, DIGEST_BYTES, varintSize, fieldSize, recordEntrySize,
  encodeAggregatedRecord, encodeCompressedRecord, writeRecordEntry, writeRecordEntryText, finishAggregate,
  recordFormat, deaggregate, recordDigest,
} from './kpl.ts';
export type { AggregatedRecord, UserRecord, AggregateKeyTables } from './kpl.ts';
export { ENV, LOCAL_REGION, DEFAULT_STACK_NAME, DEFAULT_DATA_DIR, STACK_ENV_FILE, parseEnvFile, readStackEnv, requireEnv, awsClientConfig, regionOf } from './env.ts';
export { PLACEHOLDER_CREDENTIALS, localEndpointCredentials, chainFindsCredentials } from './credentials.ts';
export { isLoopbackUrl } from './loopback.ts';
export { listenOnLoopback, closeServer } from './localServer.ts';
export type { StackEnv } from './env.ts';
export { ARCHIVE_LAYOUT, ARCHIVE_ENVELOPE_KEYS, ARCHIVE_ERROR_KEY, ArchiveLineEncoder, archiveLineText, readArchiveLine } from './archiveLine.ts';
export type { ArchiveEnvelope, ArchiveLineContent } from './archiveLine.ts';
export { AGGREGATOR_MAPPING, ARCHIVER_MAPPING, SUBSCRIBER_MAPPING, MAX_DATABASE_WRITERS, NAIVE_BASELINE, RESOURCE_NAMES, subscriberFunctionName } from './mappings.ts';
export type { ConsumerMapping } from './mappings.ts';
export { answerClientErrors } from './httpClientErrors.ts';
export type { ErrorBody } from './httpClientErrors.ts';
export { STACK_CONTROL_PATHS } from './stackControl.ts';
export type { CrashMoment, CrashPoint, ConsumerRestart, ConsumerCrashReport } from './stackControl.ts';
