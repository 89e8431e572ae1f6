// The Lambda Context object a handler receives, as the Node.js runtime builds it:
// names and ARNs of the function, a fresh request id, and the remaining time counted
// down from the function timeout.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  functionName: string;
  region: string;
  accountId: string;
  timeoutMs: number;
  memoryLimitInMB: number;
  /** Epoch ms the invocation started. */
  startedAt: number;
}

export function createLambdaContext(o: LambdaContextOptions): Context {
  const deadline = o.startedAt + o.timeoutMs;
  const d = new Date(o.startedAt);
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
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // The callback-style members are deprecated and unused by async handlers.
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export function functionArn(region: string, accountId: string, functionName: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
}
