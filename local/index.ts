// The embedded local stack: emulators of the AWS services sluice uses, and the
// runner that plays the Lambda event source mapping.
export { KinesisServer, KinesisFaults, KINESIS_FRONT_TIMEOUTS } from './kinesis/index.ts';
export type { KinesisServerOptions } from './kinesis/index.ts';
export { startStack, DEFAULT_DEV_PORTS, QUERY_PORT_OFFSET, LOCAL_DB_CLUSTER_ARN, LOCAL_DB_SECRET_ARN } from './stack.ts';
export type { LocalStack, LocalStackOptions, ConsumerHandle, DataApiHandle } from './stack.ts';
export { StackPart, PartFailedError, processTreeCpuMicros, readPartsFile } from './process/index.ts';
export type { CpuMicros, PartProcess } from './process/index.ts';
export { StackLockedError, DataDirError } from './errors.ts';
export { openDatabase, SqlStatementError, EmbeddedPostgres, EmbeddedPostgresError } from './database/index.ts';
export type { SqlDatabase, SqlSession, EmbeddedEngine } from './database/index.ts';
export { DataApiServer, DataApiFaults, DataApiError, FAULTS_PATH, STATS_PATH } from './dataapi/index.ts';
export type { DataApiStats, DataApiServerOptions, DataApiOperation, FaultSpec, DataApiErrorName } from './dataapi/index.ts';
export { FirehoseServer, FirehoseFaults, S3BucketServer } from './firehose/index.ts';
export type { FirehoseServerOptions, DeliveryStreamConfig, ArchiveObject, S3BucketServerOptions } from './firehose/index.ts';
export { EventSourceRunner, OnFailureDestination, RunnerConfigError, CheckpointFileError, RunnerNotIdleError } from './runner/index.ts';
export type { EventSourceRunnerOptions, OnFailureRecord, RunnerStats, KinesisHandler } from './runner/index.ts';
export { PipelineHealthMeter } from './PipelineHealthMeter.ts';
export type { PipelineHealthSources } from './PipelineHealthMeter.ts';
