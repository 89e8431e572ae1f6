// Reads a run's rollups back the way users do, through `queryRollups` over the Data
// API of the stack under test, with the rollups the stack keeps (the caller passes
// them: the CLI loads the same configuration the stack loads).
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, awsClientConfig, type StackEnv } from '../core/index.ts';
import { queryRollups } from '../query/index.ts';
import type { RollupSet } from '../rollup/index.ts';
import { TargetNotConfiguredError } from './errors.ts';
import { assertLoopback } from './loopback.ts';
import type { RollupReader } from './RollupWatcher.ts';

export class DataApiRollupReader {
  private readonly client: RDSDataClient;
  private readonly target: { resourceArn: string; secretArn: string; database: string };
  constructor(env: StackEnv, allowRemote: boolean, private readonly config: RollupSet) {
    const need = (name: string) => {
      const v = env[name];
      if (!v) throw new TargetNotConfiguredError(name, 'read the rollups from (or pass --no-verify)');
      return v;
    };
    const endpoint = env[ENV.rdsDataEndpoint];
    if (!endpoint && !allowRemote) need(ENV.rdsDataEndpoint);
    if (endpoint) assertLoopback(endpoint, ENV.rdsDataEndpoint, allowRemote);
    this.target = { resourceArn: need(ENV.dbClusterArn), secretArn: need(ENV.dbSecretArn), database: need(ENV.dbName) };
    this.client = new RDSDataClient(awsClientConfig(env, 'rdsData'));
  }

  readonly read: RollupReader = async (type, from, to) => {
    const r = await queryRollups(this.client, this.target, { type, from, to, config: this.config });
    return { count: r.totals.count, sum: r.totals.sum };
  };

  close(): void {
    this.client.destroy();
  }
}
