// The event source mapping settings with Lambda's defaults filled in, checked against
// the ranges Lambda accepts (../shared/reference/aws-semantics.md).
import { LAMBDA_ESM } from '../../core/index.ts';
import { RunnerConfigError } from './errors.ts';
import type { EventSourceRunnerOptions, StartingPosition } from './types.ts';

export interface MappingSettings {
  batchSize: number;
  batchingWindowMs: number;
  parallelizationFactor: number;
  /** undefined: no limit. */
  maxConcurrentInvocations: number | undefined;
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts: number;
  maximumRecordAgeInSeconds: number;
  reportBatchItemFailures: boolean;
  startingPosition: StartingPosition;
  startingPositionTimestamp: Date | undefined;
  functionTimeoutMs: number;
  memoryLimitInMB: number;
  pollIntervalMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  region: string;
  accountId: string;
}

/** 5 GetRecords calls per second per shard. */
export const MIN_POLL_GAP_MS = 1000 / 5;

function int(setting: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RunnerConfigError(setting, `must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function resolveSettings(o: EventSourceRunnerOptions): MappingSettings {
  if (!o.streamName) throw new RunnerConfigError('streamName', 'is required');
  if (!o.functionName) throw new RunnerConfigError('functionName', 'is required');
  if (typeof o.handler !== 'function') throw new RunnerConfigError('handler', 'must be a function');
  const maxAge = o.maximumRecordAgeInSeconds ?? -1;
  if (maxAge !== -1) int('maximumRecordAgeInSeconds', maxAge, 60, 604_800);
  const startingPosition = o.startingPosition ?? 'TRIM_HORIZON';
  if (!['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(startingPosition)) {
    throw new RunnerConfigError('startingPosition', `must be TRIM_HORIZON, LATEST or AT_TIMESTAMP, got ${String(startingPosition)}`);
  }
  if (startingPosition === 'AT_TIMESTAMP' && !(o.startingPositionTimestamp instanceof Date)) {
    throw new RunnerConfigError('startingPositionTimestamp', 'is required with AT_TIMESTAMP');
  }
  const timeout = o.functionTimeoutMs ?? 60_000;
  if (!(timeout > 0)) throw new RunnerConfigError('functionTimeoutMs', `must be positive, got ${timeout}`);
  return {
    batchSize: int('batchSize', o.batchSize ?? LAMBDA_ESM.defaultBatchSize, 1, LAMBDA_ESM.maxBatchSize),
    batchingWindowMs: 1000 * int('maximumBatchingWindowInSeconds', o.maximumBatchingWindowInSeconds ?? 0, 0, LAMBDA_ESM.maxBatchingWindowSeconds),
    parallelizationFactor: int('parallelizationFactor', o.parallelizationFactor ?? 1, 1, LAMBDA_ESM.maxParallelizationFactor),
    maxConcurrentInvocations: o.maxConcurrentInvocations === undefined ? undefined : int('maxConcurrentInvocations', o.maxConcurrentInvocations, 1, LAMBDA_ESM.maxReservedConcurrency),
    bisectBatchOnFunctionError: o.bisectBatchOnFunctionError ?? false,
    maximumRetryAttempts: int('maximumRetryAttempts', o.maximumRetryAttempts ?? -1, -1, 10_000),
    maximumRecordAgeInSeconds: maxAge,
    reportBatchItemFailures: o.reportBatchItemFailures ?? true,
    startingPosition,
    startingPositionTimestamp: o.startingPositionTimestamp,
    functionTimeoutMs: timeout,
    memoryLimitInMB: o.memoryLimitInMB ?? 128,
    pollIntervalMs: Math.max(MIN_POLL_GAP_MS, o.pollIntervalMs ?? 1000),
    retryBaseDelayMs: Math.max(0, o.retryBaseDelayMs ?? 100),
    retryMaxDelayMs: Math.max(0, o.retryMaxDelayMs ?? 5000),
    region: o.region ?? 'us-east-1',
    accountId: o.accountId ?? '000000000000',
  };
}
