// What can be asked: the configured rollups (names, dimensions, windows) and the
// event types that have rows, for error messages, the API and the dashboard's controls.
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { RollupSet } from '../rollup/index.ts';
import { DataApiSession, fieldText, sqlParameters, TABLES } from '../schema/index.ts';
import type { DataApiTarget } from '../schema/index.ts';

export interface QueryCatalog {
  rollups: { name: string; types: string[] | '*'; groupBy: string[]; windows: number[]; approxDistinct: string | null }[];
  /** Event types with rows in any rollup's finest window, sorted. */
  types: string[];
}

/** At most this many type names in a listing. */
const MAX_TYPES_LISTED = 200;

export async function readCatalog(client: RDSDataClient, target: DataApiTarget, config: RollupSet): Promise<QueryCatalog> {
  const session = new DataApiSession(client, target);
  const types = new Set<string>();
  for (const r of config.rollups) {
    for (const t of await listEventTypes(session, r.name, Math.min(...r.windows))) types.add(t);
  }
  return {
    rollups: config.rollups.map((r) => ({ name: r.name, types: r.types, groupBy: r.groupBy, windows: r.windows, approxDistinct: r.approxDistinct ?? null })),
    types: [...types].sort().slice(0, MAX_TYPES_LISTED),
  };
}

export async function typeHasRows(session: DataApiSession, rollup: string, window: number, type: string): Promise<boolean> {
  const rows = await session.execute(
    `SELECT 1 FROM ${TABLES.rollups} WHERE rollup = :rollup AND window_s = :window AND event_type = :type LIMIT 1`,
    { parameters: sqlParameters({ rollup, window, type }) },
  );
  return rows.length > 0;
}

/**
 * The distinct event types of one rollup window, by a loose index scan on the
 * primary key (rollup, window_s, event_type, ...): one index probe per type, not a
 * pass over every row, so it stays fast on a year of rows.
 */
export async function listEventTypes(session: DataApiSession, rollup: string, window: number): Promise<string[]> {
  const rows = await session.execute(
    `WITH RECURSIVE t(type) AS (
  (SELECT event_type FROM ${TABLES.rollups} WHERE rollup = :rollup AND window_s = :window ORDER BY event_type LIMIT 1)
  UNION ALL
  SELECT (SELECT event_type FROM ${TABLES.rollups} WHERE rollup = :rollup AND window_s = :window AND event_type > t.type ORDER BY event_type LIMIT 1)
  FROM t WHERE t.type IS NOT NULL)
SELECT type FROM t WHERE type IS NOT NULL LIMIT ${MAX_TYPES_LISTED}`,
    { parameters: sqlParameters({ rollup, window }) },
  );
  return rows.map((f) => fieldText(f[0])!);
}
