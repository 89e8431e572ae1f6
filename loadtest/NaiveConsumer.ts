// The naive baseline's consumer: reads the baseline stream shard by shard, as a Lambda
// without sluice would, and writes each event with its own INSERT through the Data
// API (no batching, no transaction, no deduplication: a retried batch counts twice,
// which the verification reports). Its table lives beside sluice's in the same database.
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { awsClientConfig, sleep, type StackEnv } from '../core/index.ts';
import type { DataApiTarget } from '../schema/index.ts';
import { NAIVE_STREAM } from './NaiveSink.ts';

export const NAIVE_TABLE = 'sluice_naive_events';

export class NaiveConsumer {
  private readonly rdsData: RDSDataClient;
  private stopping = false;
  private loops: Promise<void>[] = [];
  inserts = 0;

  constructor(env: StackEnv, private readonly kinesis: KinesisClient, private readonly target: DataApiTarget) {
    this.rdsData = new RDSDataClient(awsClientConfig(env, 'rdsData'));
  }

  /** Creates the table and starts reading every shard from its tip (events sent after this call). */
  async start(): Promise<void> {
    await this.rdsData.send(new ExecuteStatementCommand({
      ...this.target,
      sql: `CREATE TABLE IF NOT EXISTS ${NAIVE_TABLE} (id bigserial PRIMARY KEY, event_type text NOT NULL, value numeric NOT NULL, dims jsonb, received_at timestamptz NOT NULL DEFAULT now())`,
    }));
    const shards = await this.kinesis.send(new ListShardsCommand({ StreamName: NAIVE_STREAM }));
    for (const shard of shards.Shards ?? []) {
      const it = await this.kinesis.send(new GetShardIteratorCommand({ StreamName: NAIVE_STREAM, ShardId: shard.ShardId!, ShardIteratorType: 'LATEST' }));
      this.loops.push(this.readShard(it.ShardIterator!));
    }
  }

  private async readShard(iterator: string | undefined): Promise<void> {
    while (!this.stopping && iterator) {
      let out;
      try {
        out = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      } catch {
        await sleep(200);
        continue;
      }
      for (const r of out.Records ?? []) {
        const e = JSON.parse(Buffer.from(r.Data!).toString('utf8')) as { type: string; value?: number; dims?: Record<string, string> };
        // One INSERT per event; a failure (the database refusing) is retried until it goes in.
        for (;;) {
          try {
            await this.rdsData.send(new ExecuteStatementCommand({
              ...this.target,
              sql: `INSERT INTO ${NAIVE_TABLE} (event_type, value, dims) VALUES (:t, CAST(:v AS numeric), CAST(:d AS jsonb))`,
              parameters: [
                { name: 't', value: { stringValue: e.type } },
                { name: 'v', value: { stringValue: String(e.value ?? 1) } },
                { name: 'd', value: { stringValue: JSON.stringify(e.dims ?? {}) } },
              ],
            }));
            this.inserts++;
            break;
          } catch {
            if (this.stopping) return;
            await sleep(200);
          }
        }
      }
      iterator = out.NextShardIterator;
      if ((out.Records ?? []).length === 0) await sleep(200);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    this.rdsData.destroy();
  }
}
