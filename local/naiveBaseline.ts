// Starts the naive baseline's consumer inside the stack, on demand (the load test's
// `--mode naive`), so its CPU is the stack's as sluice's consumers' is: the
// baseline's stream (as many shards as sluice's) and table first, then its part.
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ResourceNotFoundException } from '@aws-sdk/client-kinesis';
import { ExecuteStatementCommand, type RDSDataClient } from '@aws-sdk/client-rds-data';
import { NAIVE_BASELINE, awsClientConfig, sleep, type StackEnv } from '../core/index.ts';
import { NAIVE_TABLE_DDL, naiveBaselineConsumer, type RegisteredSubscriber } from '../consumers/index.ts';
import type { DataApiTarget } from '../schema/index.ts';

/** Creates what the baseline uses when missing, then starts its consumer with `startConsumer`; resolves with its pid. */
export async function startNaiveBaseline(deps: {
  env: StackEnv;
  rdsData: RDSDataClient;
  target: DataApiTarget;
  shardCount: number;
  startConsumer: (sub: RegisteredSubscriber) => Promise<{ pid: number }>;
}): Promise<{ pid: number; stream: string; table: string }> {
  const kinesis = new KinesisClient(awsClientConfig(deps.env, 'kinesis'));
  try {
    await ensureStream(kinesis, deps.shardCount);
  } finally {
    kinesis.destroy();
  }
  await deps.rdsData.send(new ExecuteStatementCommand({ ...deps.target, sql: NAIVE_TABLE_DDL }));
  const part = await deps.startConsumer(naiveBaselineConsumer());
  return { pid: part.pid, stream: NAIVE_BASELINE.stream, table: NAIVE_BASELINE.table };
}

async function ensureStream(kinesis: KinesisClient, shardCount: number): Promise<void> {
  const status = async () => {
    try {
      return (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: NAIVE_BASELINE.stream }))).StreamDescriptionSummary?.StreamStatus;
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  };
  if (await status() === undefined) await kinesis.send(new CreateStreamCommand({ StreamName: NAIVE_BASELINE.stream, ShardCount: shardCount }));
  while (await status() !== 'ACTIVE') await sleep(100);
}
