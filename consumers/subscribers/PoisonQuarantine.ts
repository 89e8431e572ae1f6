// Where a subscriber sets poison records aside: the same quarantine table, through
// the same statements, as the aggregator, so `sluice quarantine list|redrive` sees
// them. A record already there (the aggregator, or a retry, put it) is left as it is.
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, awsClientConfig, type StackEnv } from '../../core/index.ts';
import { DataApiSession, type DataApiTarget } from '../../schema/index.ts';
import { quarantineStatements, type PoisonRecord } from '../aggregator/index.ts';
import { QuarantineUnavailableError } from './errors.ts';

export class PoisonQuarantine {
  private readonly session: DataApiSession | undefined;
  private readonly client: RDSDataClient | undefined;

  /** Uses the Data API target in `env` (SLUICE_DB_*); without one, put() refuses. */
  constructor(env: StackEnv) {
    const resourceArn = env[ENV.dbClusterArn];
    const secretArn = env[ENV.dbSecretArn];
    const database = env[ENV.dbName];
    if (resourceArn && secretArn && database) {
      const target: DataApiTarget = { resourceArn, secretArn, database };
      // Inside a transaction an SDK retry is refused (DataApiSession): the mapping's retry
      // of the batch tries again instead.
      this.client = new RDSDataClient({ ...awsClientConfig(env, 'rdsData'), maxAttempts: 1 });
      this.session = new DataApiSession(this.client, target);
    }
  }

  /** Writes the records in one transaction (a large record is several statements). */
  async put(poison: readonly PoisonRecord[]): Promise<void> {
    if (poison.length === 0) return;
    const session = this.session;
    if (!session) throw new QuarantineUnavailableError(`no quarantine: ${ENV.dbClusterArn}, ${ENV.dbSecretArn} and ${ENV.dbName} are not all set`);
    await session.transaction(async (transactionId) => {
      for (const st of quarantineStatements([...poison])) await session.execute(st.sql, { parameters: st.parameters, transactionId });
    });
  }

  close(): void {
    this.client?.destroy();
  }
}
