// The local stack's default database: the embedded PostgreSQL server (its own
// processes, many connections, real locks and cancels) reached through the same
// `pg` pool as an external server. Without a directory it lives in a temporary one
// that closing removes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from './EmbeddedPostgres.ts';
import { PostgresDatabase } from './PostgresDatabase.ts';
import type { SqlDatabase, SqlParam, SqlResult, SqlSession } from './types.ts';

export class EmbeddedPostgresDatabase implements SqlDatabase {
  readonly kind = 'postgres' as const;

  private constructor(private readonly pool: PostgresDatabase, readonly server: EmbeddedPostgres, private readonly scratchDir: string | undefined) {}

  static async open(dir: string | undefined, maxConnections?: number): Promise<EmbeddedPostgresDatabase> {
    const scratchDir = dir ? undefined : mkdtempSync(join(tmpdir(), 'sluice-pg-'));
    const server = await EmbeddedPostgres.start(dir ?? join(scratchDir!, 'pg'));
    try {
      return new EmbeddedPostgresDatabase(await PostgresDatabase.open(server.url, maxConnections), server, scratchDir);
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  acquire(): Promise<SqlSession> {
    return this.pool.acquire();
  }

  query(sql: string, params?: readonly SqlParam[]): Promise<SqlResult> {
    return this.pool.query(sql, params);
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.server.stop();
    if (this.scratchDir) rmSync(this.scratchDir, { recursive: true, force: true });
  }
}
