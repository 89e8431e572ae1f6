// The local Lambda event source mapping for Kinesis.
export { EventSourceRunner } from './EventSourceRunner.ts';
export { OnFailureDestination } from './OnFailureDestination.ts';
export { interpretBatchResponse } from './BatchResponse.ts';
export type { BatchResponseOutcome } from './BatchResponse.ts';
export { createLambdaContext } from './LambdaContext.ts';
export { RunnerConfigError, CheckpointFileError, FunctionTimeoutError, RunnerNotIdleError } from './errors.ts';
export type {
  EventSourceRunnerOptions, KinesisHandler, OnFailureRecord, RunnerStats, ShardStats, StartingPosition,
} from './types.ts';
