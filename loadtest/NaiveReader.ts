// The naive baseline's side of the verification: its totals per type, read from the
// table its consumer (a part of the stack) inserts into, one row per event (it keeps no groups).
import { ExecuteStatementCommand, type RDSDataClient } from '@aws-sdk/client-rds-data';
import { NAIVE_BASELINE } from '../core/index.ts';
import type { DataApiTarget } from '../schema/index.ts';
import type { RollupReader } from './RollupWatcher.ts';
import type { RollupTotals } from './types.ts';

/** Reads the baseline's totals per type from its table (it keeps no groups). */
export class NaiveReader implements RollupReader {
  constructor(private readonly client: RDSDataClient, private readonly target: DataApiTarget) {}

  async totals(type: string): Promise<RollupTotals> {
    const r = await this.client.send(new ExecuteStatementCommand({
      ...this.target,
      sql: `SELECT COUNT(*), CAST(COALESCE(SUM(value), 0) AS text) FROM ${NAIVE_BASELINE.table} WHERE event_type = :t`,
      parameters: [{ name: 't', value: { stringValue: type } }],
    }));
    const row = r.records?.[0];
    return { count: Number(row?.[0]?.longValue ?? 0), sum: Number(row?.[1]?.stringValue ?? 0) };
  }

  async groups(): Promise<Record<string, RollupTotals>> {
    return {};
  }
}
