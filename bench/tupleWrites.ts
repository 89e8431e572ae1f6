// Database tuple writes (inserts + updates + deletes of every sluice table) read from
// pg_stat_user_tables through the Data API: the work the database does for a run,
// which is what leveling is for. PostgreSQL publishes a backend's counters when the
// backend flushes them (at once on request for the reading session, within about 10 s
// of going idle for the others), so a reading waits until the counters stay still.
import { DataApiSession, fieldNumber, fieldText } from '../schema/index.ts';

export interface TableWrites { inserts: number; updates: number; deletes: number }

export interface TupleWrites {
  total: number;
  byTable: Record<string, TableWrites>;
}

/** PostgreSQL flushes an idle backend's pending statistics within this (PGSTAT_IDLE_INTERVAL, 10 s). */
const IDLE_FLUSH_MS = 11_000;

async function readOnce(session: DataApiSession): Promise<TupleWrites> {
  // The reading session's own counters, published now (PostgreSQL 15+).
  await session.execute('SELECT pg_stat_force_next_flush()');
  const rows = await session.execute(
    `SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE relname LIKE 'sluice\\_%' ORDER BY relname`,
  );
  const byTable: Record<string, TableWrites> = {};
  let total = 0;
  for (const r of rows) {
    const w = { inserts: fieldNumber(r[1]) ?? 0, updates: fieldNumber(r[2]) ?? 0, deletes: fieldNumber(r[3]) ?? 0 };
    byTable[fieldText(r[0])!] = w;
    total += w.inserts + w.updates + w.deletes;
  }
  return { total, byTable };
}

/**
 * The counters once every session has published its writes: read until they stay
 * unchanged for `quietMs` (default: the idle flush interval; 0 when the database has
 * one session, as PGlite).
 */
export async function settledTupleWrites(session: DataApiSession, quietMs = IDLE_FLUSH_MS): Promise<TupleWrites> {
  let last = await readOnce(session);
  let stillSince = Date.now();
  while (Date.now() - stillSince < quietMs) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await readOnce(session);
    if (now.total !== last.total) stillSince = Date.now();
    last = now;
  }
  return last;
}

/** What happened between two readings, per table and in total. */
export function tupleWritesBetween(before: TupleWrites, after: TupleWrites): TupleWrites {
  const byTable: Record<string, TableWrites> = {};
  for (const [t, a] of Object.entries(after.byTable)) {
    const b = before.byTable[t] ?? { inserts: 0, updates: 0, deletes: 0 };
    byTable[t] = { inserts: a.inserts - b.inserts, updates: a.updates - b.updates, deletes: a.deletes - b.deletes };
  }
  return { total: after.total - before.total, byTable };
}
