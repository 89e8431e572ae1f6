// Reads a run's rollups back the way users do, through `queryRollups` over the Data
// API of the stack under test, with the rollups the stack keeps (the caller passes
// them: the CLI loads the same configuration the stack loads).
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { queryRollups } from '../query/index.ts';
import type { RollupConfig, RollupSet } from '../rollup/index.ts';
import type { DataApiTarget } from '../schema/index.ts';
import type { RollupReader } from './RollupWatcher.ts';
import type { RollupTotals } from './types.ts';

export class DataApiRollupReader implements RollupReader {
  constructor(private readonly client: RDSDataClient, private readonly target: DataApiTarget, private readonly config: RollupSet) {}

  async totals(type: string, from: Date, to: Date): Promise<RollupTotals> {
    const r = await queryRollups(this.client, this.target, { type, from, to, config: this.config });
    return { count: r.totals.count, sum: r.totals.sum };
  }

  async groups(rollup: RollupConfig, type: string, from: Date, to: Date): Promise<Record<string, RollupTotals>> {
    const r = await queryRollups(this.client, this.target, { type, from, to, config: this.config, rollup: rollup.name, groupBy: rollup.groupBy });
    const out: Record<string, RollupTotals> = {};
    for (const row of r.rows) {
      const key = JSON.stringify(rollup.groupBy.map((d) => row.dims?.[d] ?? null));
      const t = (out[key] ??= { count: 0, sum: 0 });
      t.count += row.count;
      t.sum += row.sum;
    }
    return out;
  }
}
