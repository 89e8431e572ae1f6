// The database layer under the local Data API: the embedded PostgreSQL server keeps
// its data, stops when its owner dies and is taken over when a dead stack left it
// running; PGlite serialises sessions on its one connection and persists in a data
// directory; PostgreSQL runs sessions concurrently on a pool and can cancel a
// statement; scratch databases isolate tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EmbeddedPostgres, openDatabase, SqlStatementError, type SqlDatabase } from '../local/database/index.ts';
import { scratchDatabaseUrl, type ScratchDatabase } from './support/database.ts';
import { processAlive as alive, until } from './support/processes.ts';

const dirs: string[] = [];
const opened: SqlDatabase[] = [];
const scratches: ScratchDatabase[] = [];
afterAll(async () => {
  for (const d of opened) await d.close();
  for (const s of scratches) await s.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('embedded PostgreSQL server', () => {
  it('keeps its data across stop and start, on a new port each time', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sluice-embedded-')), 'postgres');
    dirs.push(dir);
    const first = await openDatabase({ dataDir: dir });
    await first.query('CREATE TABLE kept (v text)');
    await first.query('INSERT INTO kept VALUES ($1)', ['survives']);
    await first.close();
    const second = await openDatabase({ dataDir: dir });
    opened.push(second);
    const r = await second.query('SELECT v FROM kept');
    expect(r.rows).toEqual([['survives']]);
  });

  it('stops when the process that started it is killed with SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-embedded-owner-'));
    dirs.push(dir);
    const script = join(dir, 'owner.mts');
    writeFileSync(script, `import { EmbeddedPostgres } from ${JSON.stringify(resolve('local/database/index.ts'))};
const server = await EmbeddedPostgres.start(${JSON.stringify(join(dir, 'postgres'))});
process.stdout.write(String(server.pid) + '\\n');
setInterval(() => {}, 1000);
`);
    const owner = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    owner.stdout.on('data', (d) => (out += d));
    await until(() => /\d+\n/.test(out) || owner.exitCode !== null, 'the owner printed the server pid');
    const pid = Number(out.trim());
    expect(alive(pid)).toBe(true);

    owner.kill('SIGKILL');

    await until(() => !alive(pid), `PostgreSQL (pid ${pid}) exited after its owner was killed`);
  });

  it('stops a server a dead stack left running on its directory, then serves the same data', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sluice-embedded-left-')), 'postgres');
    dirs.push(dir);
    const left = await EmbeddedPostgres.start(dir);
    const client = new pg.Client({ connectionString: left.url });
    await client.connect();
    await client.query("CREATE TABLE kept AS SELECT 'before' AS v");
    await client.end();
    // Its keeper killed too: nothing will stop this server but the next start.
    (left as unknown as { keeper: { kill(s: string): void } }).keeper.kill('SIGKILL');

    const next = await EmbeddedPostgres.start(dir);
    const c2 = new pg.Client({ connectionString: next.url });
    await c2.connect();
    const r = await c2.query('SELECT v FROM kept');
    await c2.end();
    await next.stop();

    expect(alive(left.pid)).toBe(false);
    expect(r.rows).toEqual([{ v: 'before' }]);
  });
});

describe('PGlite database', () => {
  // One in-memory database for the tests that need no directory: PGlite takes a second or two to start.
  let db: SqlDatabase;
  beforeAll(async () => {
    db = await openDatabase({ engine: 'pglite' });
    opened.push(db);
  });

  it('keeps its data in the data directory across close and reopen', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'sluice-pglite-')), 'pg');
    dirs.push(dataDir);
    const first = await openDatabase({ dataDir, engine: 'pglite' });
    await first.query('CREATE TABLE kept (v text)');
    await first.query('INSERT INTO kept VALUES ($1)', ['survives']);
    await first.close();
    const second = await openDatabase({ dataDir, engine: 'pglite' });
    opened.push(second);
    const r = await second.query('SELECT v FROM kept');
    expect(r.rows).toEqual([['survives']]);
  });

  it('gives a session the connection exclusively: others queue until it is released', async () => {
    await db.query('CREATE TABLE q (step text)');
    const holder = await db.acquire();
    await holder.query('BEGIN');
    await holder.query("INSERT INTO q VALUES ('in transaction')");
    const events: string[] = [];
    const waiter = db.acquire().then(async (s) => {
      events.push('second session granted');
      const r = await s.query('SELECT step FROM q');
      s.release();
      return r.rows;
    });
    await new Promise((r) => setTimeout(r, 50));
    events.push('first commits');
    await holder.query('COMMIT');
    holder.release();
    const seen = await waiter;
    expect(events).toEqual(['first commits', 'second session granted']);
    expect(seen).toEqual([['in transaction']]);
  });

  it('reports a rejected statement with its SQLSTATE and position, and stays usable', async () => {
    const err = await db.query('SELECT * FROM missing_table').catch((e: unknown) => e);
    const ok = await db.query('SELECT 1');
    expect(err).toBeInstanceOf(SqlStatementError);
    expect(err).toMatchObject({ code: '42P01', position: 15 });
    expect(ok.rows).toEqual([['1']]);
  });

  it('returns values in PostgreSQL text format with each column\'s type, table and column number', async () => {
    await db.query('CREATE TABLE typed (id int, amount numeric(8,3))');
    await db.query('INSERT INTO typed VALUES ($1, $2)', ['7', '1.5']);
    const r = await db.query('SELECT id, amount, now() IS NOT NULL AS alive FROM typed');
    expect(r.rows).toEqual([['7', '1.500', 't']]);
    expect(r.fields.map((f) => [f.name, f.typeOid, f.columnNumber, f.tableOid > 0])).toEqual([['id', 23, 1, true], ['amount', 1700, 2, true], ['alive', 16, 0, false]]);
    expect(r.fields[1]!.typeModifier).toBe(((8 << 16) | 3) + 4);
  });
});

describe.skipIf(!process.env.DATABASE_URL)(process.env.DATABASE_URL ? 'PostgreSQL database' : 'PostgreSQL database (skipped: DATABASE_URL is not set)', () => {
  it('runs sessions concurrently on separate connections and cancels a running statement', async () => {
    const scratch = (await scratchDatabaseUrl())!;
    scratches.push(scratch);
    const db = await openDatabase({ databaseUrl: scratch.url });
    opened.push(db);
    const a = await db.acquire();
    const b = await db.acquire();
    const slow = a.query('SELECT pg_sleep(30)').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const meanwhile = await b.query('SELECT 2');
    await a.cancel();
    const cancelled = await slow;
    a.release();
    b.release();
    expect(a.connectionId).not.toBe(b.connectionId);
    expect(meanwhile.rows).toEqual([['2']]);
    expect(cancelled).toMatchObject({ code: '57014' });
  });

  it('creates a fresh database per scratch call and drops it', async () => {
    const one = (await scratchDatabaseUrl())!;
    const two = (await scratchDatabaseUrl())!;
    const dbOne = await openDatabase({ databaseUrl: one.url });
    await dbOne.query('CREATE TABLE only_in_one (x int)');
    await dbOne.close();
    const dbTwo = await openDatabase({ databaseUrl: two.url });
    const seen = await dbTwo.query("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_one'");
    await dbTwo.close();
    await one.drop();
    await two.drop();
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    const left = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_database WHERE datname = ANY($1)', [[new URL(one.url).pathname.slice(1), new URL(two.url).pathname.slice(1)]]);
    await admin.end();
    expect(seen.rows).toEqual([['0']]);
    expect(left.rows[0]!.n).toBe(0);
  });
});
