// Applies pending migrations through the Data API, so the same code migrates Aurora
// (from a CDK custom resource) and the local stack on start. Safe to run again and
// from several processes at once: a transaction-scoped advisory lock serialises them
// and the migrations table records what is done.
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApiSession } from './DataApiSession.ts';
import { MigrationError, StatementRetriedError } from './errors.ts';
import { loadMigrations } from './migrations.ts';
import type { Migration } from './migrations.ts';
import { sqlParameters } from './parameters.ts';
import { TABLES } from './tables.ts';
import type { DataApiTarget } from './types.ts';

/** Arbitrary but fixed: the advisory lock id all sluice migrators agree on. */
const MIGRATION_LOCK_ID = 0x51_1c_e0_01;

export interface MigrateOptions {
  /** The migrations to apply; default: the files in schema/migrations/. */
  migrations?: Migration[];
}

/** Applies every migration not yet recorded; returns the names applied by this call. */
export async function migrate(
  client: RDSDataClient,
  target: DataApiTarget,
  options: MigrateOptions = {},
): Promise<{ applied: string[] }> {
  const migrations = options.migrations ?? loadMigrations();
  const session = new DataApiSession(client, target);
  const applied: string[] = [];
  for (const migration of migrations) {
    const didApply = await retryingAbandoned(() => session.transaction(async (tx) => {
      await session.execute(`SELECT 1 FROM (SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})) AS l`, { transactionId: tx });
      await session.execute(
        `CREATE TABLE IF NOT EXISTS ${TABLES.migrations} (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
        { transactionId: tx },
      );
      const done = await session.execute(`SELECT 1 FROM ${TABLES.migrations} WHERE name = :name`, {
        transactionId: tx,
        parameters: sqlParameters({ name: migration.name }),
      });
      if (done.length > 0) return false;
      for (const [i, sql] of migration.statements.entries()) {
        try {
          await session.execute(sql, { transactionId: tx });
        } catch (err) {
          throw new MigrationError(migration.name, `statement ${i + 1} failed: ${(err as Error).message}`, { cause: err });
        }
      }
      await session.execute(`INSERT INTO ${TABLES.migrations} (name) VALUES (:name)`, {
        transactionId: tx,
        parameters: sqlParameters({ name: migration.name }),
      });
      return true;
    }));
    if (didApply) applied.push(migration.name);
  }
  return { applied };
}

/** Runs a transaction again (a few times) when it was abandoned because the SDK resent a statement. */
async function retryingAbandoned<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const retried = err instanceof StatementRetriedError || (err as { cause?: unknown }).cause instanceof StatementRetriedError;
      if (!retried || i >= attempts) throw err;
    }
  }
}
