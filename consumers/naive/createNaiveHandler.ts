// The naive baseline's consumer, the design sluice replaces, as a team without
// sluice would write its Lambda: each record is one event's JSON (one PutRecord per
// event), and each event is one INSERT through the Data API. No batching, no
// transaction, no deduplication: a batch that fails part way is retried whole by
// the event source mapping, and what it inserted before the failure counts twice
// (the load test's verification reports it).
import { ExecuteStatementCommand, type RDSDataClient } from '@aws-sdk/client-rds-data';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { NAIVE_BASELINE } from '../../core/index.ts';
import type { DataApiTarget } from '../../schema/index.ts';

/** The baseline's table, one row per event; created by whoever starts the baseline. */
export const NAIVE_TABLE_DDL = `CREATE TABLE IF NOT EXISTS ${NAIVE_BASELINE.table} (
  id bigserial PRIMARY KEY, event_type text NOT NULL, value numeric NOT NULL, dims jsonb,
  received_at timestamptz NOT NULL DEFAULT now())`;

export interface NaiveDeps {
  rdsData: RDSDataClient;
  target: DataApiTarget;
}

export function createNaiveHandler({ rdsData, target }: NaiveDeps): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  return async (event) => {
    for (const r of event.Records) {
      const e = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as { type: string; value?: number; dims?: Record<string, string> };
      await rdsData.send(new ExecuteStatementCommand({
        ...target,
        sql: `INSERT INTO ${NAIVE_BASELINE.table} (event_type, value, dims) VALUES (:t, CAST(:v AS numeric), CAST(:d AS jsonb))`,
        parameters: [
          { name: 't', value: { stringValue: e.type } },
          { name: 'v', value: { stringValue: String(e.value ?? 1) } },
          { name: 'd', value: { stringValue: JSON.stringify(e.dims ?? {}) } },
        ],
      }));
    }
    return { batchItemFailures: [] };
  };
}
