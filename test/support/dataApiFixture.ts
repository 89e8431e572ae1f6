// A migrated database behind the local Data API, for suites that drive the aggregator
// directly: the embedded PostgreSQL or PGlite in a temp directory, or a scratch
// database on DATABASE_URL's server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApiServer, openDatabase, type SqlDatabase } from '../../local/index.ts';
import { DataApiSession, migrate, TABLES } from '../../schema/index.ts';
import { scratchDatabaseUrl, type DatabaseMode, type ScratchDatabase } from './database.ts';

export interface DataApiFixture {
  target: { resourceArn: string; secretArn: string; database: string };
  db: SqlDatabase;
  server: DataApiServer;
  /** A client without SDK retries: the handler's own retry policy is what tests exercise. */
  client: RDSDataClient;
  /** Empties every sluice table and clears injected faults (between tests). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `migrate: false` leaves the database empty (for tests of migrate itself). `database`
 * picks the engine as DATABASE_MODES names them: 'url' for a scratch database on
 * DATABASE_URL's server (required), 'embedded' for the embedded PostgreSQL server,
 * 'pglite' for PGlite; by default DATABASE_URL's server when it is set, else embedded.
 */
export async function startDataApiFixture(name: string, opts: { statementTimeoutMs?: number; migrate?: boolean; database?: DatabaseMode['source'] } = {}): Promise<DataApiFixture> {
  const dir = mkdtempSync(join(tmpdir(), `sluice-${name}-`));
  const source = opts.database ?? (process.env.DATABASE_URL ? 'url' : 'embedded');
  const scratch: ScratchDatabase | undefined = source === 'url' ? await scratchDatabaseUrl() : undefined;
  if (source === 'url' && !scratch) throw new Error('database: url needs DATABASE_URL');
  const target = {
    resourceArn: `arn:aws:rds:us-east-1:000000000000:cluster:${name}`,
    secretArn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-AbCdEf`,
    database: 'sluice',
  };
  const db = await openDatabase({ dataDir: join(dir, 'pg'), ...(scratch ? { databaseUrl: scratch.url } : { engine: source === 'pglite' ? 'pglite' : 'postgres' }) });
  const server = await DataApiServer.start({
    database: db, resourceArn: target.resourceArn, secretArn: target.secretArn, databaseName: target.database,
    ...(opts.statementTimeoutMs !== undefined ? { statementTimeoutMs: opts.statementTimeoutMs } : {}),
  });
  const client = new RDSDataClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  if (opts.migrate !== false) await migrate(client, target);
  return {
    target, db, server, client,
    async reset() {
      server.faults.clear();
      const s = new DataApiSession(client, target);
      for (const t of [TABLES.rollups, TABLES.checkpoints, TABLES.eventIds, TABLES.recordIds, TABLES.quarantine]) await s.execute(`DELETE FROM ${t}`);
    },
    async close() {
      client.destroy();
      await server.close();
      await db.close();
      await scratch?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
