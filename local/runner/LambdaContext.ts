// The Lambda Context object a handler receives, as the Node.js runtime builds it:
// names and ARNs of the function, a fresh request id, and the remaining time counted
// down from the function timeout.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { runnerClock, type RunnerClock } from './RunnerClock.ts';

export interface LambdaContextOptions {
  functionName: string;
  region: string;
  accountId: string;
  timeoutMs: number;
  memoryLimitInMB: number;
  /** Where the invocation's start and remaining time are read. Default: the real clock. */
  clock?: RunnerClock;
}

export function createLambdaContext(o: LambdaContextOptions): Context {
  const clock = o.clock ?? runnerClock();
  const deadline = clock.elapsed() + o.timeoutMs;
  const d = new Date(clock.now());
  const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: o.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn(o.region, o.accountId, o.functionName),
    memoryLimitInMB: String(o.memoryLimitInMB),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${o.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    // Whole milliseconds, as the Node.js runtime answers (APIs such as AbortSignal.timeout refuse fractions).
    getRemainingTimeInMillis: () => Math.max(0, Math.floor(deadline - clock.elapsed())),
    // The callback-style members are deprecated and unused by async handlers.
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export function functionArn(region: string, accountId: string, functionName: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
}
