// SqlDatabase.query for every engine: one statement on a session of its own, released
// whatever the statement did, so a failed statement never keeps a connection.
import type { SqlDatabase, SqlParam, SqlResult } from './types.ts';

export async function queryOnOwnSession(database: Pick<SqlDatabase, 'acquire'>, sql: string, params: readonly SqlParam[] = []): Promise<SqlResult> {
  const session = await database.acquire();
  try {
    return await session.query(sql, params);
  } finally {
    session.release();
  }
}
