// The database part: the PostgreSQL the stack runs on (the embedded server, PGlite,
// or DATABASE_URL's) and the RDS Data API in front of it, migrated with the same
// migrations the CDK custom resource runs on Aurora.
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { migrate } from '../../schema/index.ts';
import { DataApiServer } from '../dataapi/index.ts';
import { EmbeddedPostgresDatabase, openDatabase, type EmbeddedEngine } from '../database/index.ts';
import { processTreeCpuMicros } from './processCpu.ts';
import type { CpuMicros } from './PartMessages.ts';
import type { RunningPart } from './RunningPart.ts';

export interface DatabasePartConfig {
  /** The embedded engine's directory. */
  dataDir: string;
  databaseUrl?: string;
  engine: EmbeddedEngine;
  port: number;
  resourceArn: string;
  secretArn: string;
  databaseName: string;
  faultInjection: boolean;
  /** The Data API's transaction idle timeout. Default Aurora's. */
  transactionIdleTimeoutMs?: number;
  region: string;
}

/** Connections for the Data API: every consumer's concurrent batches, the CLI and tests beside them. */
const POOL_SIZE = 40;

export async function startDatabasePart(config: DatabasePartConfig): Promise<RunningPart> {
  const database = await openDatabase({
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir, engine: config.engine }),
    maxConnections: POOL_SIZE,
  });
  const server = database instanceof EmbeddedPostgresDatabase ? database.server : undefined;
  let dataApi: DataApiServer | undefined;
  try {
    dataApi = await DataApiServer.start({
      database, port: config.port, resourceArn: config.resourceArn, secretArn: config.secretArn,
      databaseName: config.databaseName, faultInjection: config.faultInjection,
      ...(config.transactionIdleTimeoutMs !== undefined ? { transactionIdleTimeoutMs: config.transactionIdleTimeoutMs } : {}),
    });
    const client = new RDSDataClient({ endpoint: dataApi.endpoint, region: config.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const { applied } = await migrate(client, { resourceArn: config.resourceArn, secretArn: config.secretArn, database: config.databaseName });
    client.destroy();
    const api = dataApi;
    return {
      info: {
        endpoint: api.endpoint,
        migrations: applied.join(', '),
        ...(server ? { postgresPid: server.pid } : {}),
      },
      requests: {
        transactionCounts: async () => api.transactionCounts,
        resetTransactionPeak: async () => { api.resetTransactionPeak(); },
      },
      extraCpu: (): CpuMicros => {
        const micros = server ? processTreeCpuMicros(server.pid) : undefined;
        return micros === undefined ? {} : { postgres: micros };
      },
      async stop() {
        await api.close();
        await database.close();
      },
    };
  } catch (err) {
    await dataApi?.close().catch(() => {});
    await database.close().catch(() => {});
    throw err;
  }
}
