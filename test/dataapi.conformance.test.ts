// Conformance of the local RDS Data API with Aurora PostgreSQL's, through
// @aws-sdk/client-rds-data only: on the embedded PostgreSQL (the default), on the
// PostgreSQL DATABASE_URL names when set (a scratch database of its own), and on PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchExecuteStatementCommand, BeginTransactionCommand, CommitTransactionCommand, ExecuteStatementCommand,
  RDSDataClient, RollbackTransactionCommand, type ExecuteStatementCommandInput, type ResultSetOptions, type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { DATA_API, MiB } from '../core/index.ts';
import type { SqlDatabase } from '../local/database/index.ts';
import { DataApiServer, type DataApiServerOptions } from '../local/dataapi/index.ts';
import { DATABASE_MODES as MODES, failure, openModeDatabase, tableNamer } from './support/database.ts';
import { stringMatching } from './support/matchers.ts';

const RESOURCE_ARN = 'arn:aws:rds:us-east-1:000000000000:cluster:sluice-local';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:sluice-local';
const DB_NAME = 'sluice';
const coords = { resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, database: DB_NAME };
const ends = { resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN };


function clientFor(server: DataApiServer): RDSDataClient {
  // One attempt: each test sees exactly what the service answered.
  return new RDSDataClient({ endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

const table = tableNamer();

describe.each(MODES)('Data API on $name', (mode) => {
  describe.skipIf(!mode.available)(mode.available ? 'conformance' : 'skipped: DATABASE_URL is not set, so there is no real PostgreSQL to run against', () => {
    let opened: Awaited<ReturnType<typeof openModeDatabase>> | undefined;
    let db: SqlDatabase;
    let server: DataApiServer;
    let client: RDSDataClient;
    const extra: DataApiServer[] = [];

    const exec = (input: Partial<ExecuteStatementCommandInput> & { sql: string }, c = client) =>
      c.send(new ExecuteStatementCommand({ ...coords, ...input }));
    const startServer = async (opts: Partial<DataApiServerOptions> = {}) => {
      const s = await DataApiServer.start({ database: db, resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, databaseName: DB_NAME, ...opts });
      extra.push(s);
      return { server: s, client: clientFor(s) };
    };
    const count = async (t: string) => Number((await exec({ sql: `SELECT count(*) AS n FROM ${t}` })).records![0]![0]!.longValue);
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 500; i++) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('condition not reached');
    };

    beforeAll(async () => {
      opened = await openModeDatabase(mode);
      db = opened.db;
      server = await DataApiServer.start({ database: db, resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, databaseName: DB_NAME });
      client = clientFor(server);
    });
    afterAll(async () => {
      for (const s of extra) await s.close();
      await server?.close();
      await opened?.close();
    });

    describe('statements', () => {
      it('reports numberOfRecordsUpdated for DML, 0 for SELECT and DDL, and no generatedFields on PostgreSQL', async () => {
        const t = table('dml');
        const ddl = await exec({ sql: `CREATE TABLE ${t} (id int PRIMARY KEY, v text)` });
        const ins = await exec({ sql: `INSERT INTO ${t} VALUES (1, 'a'), (2, 'b'), (3, 'c')` });
        const upd = await exec({ sql: `UPDATE ${t} SET v = 'z' WHERE id >= 2` });
        const sel = await exec({ sql: `SELECT * FROM ${t}` });
        const del = await exec({ sql: `DELETE FROM ${t} WHERE id = 1` });
        expect(ddl.numberOfRecordsUpdated).toBe(0);
        expect(ins.numberOfRecordsUpdated).toBe(3);
        expect(ins.generatedFields ?? []).toEqual([]);
        expect(upd.numberOfRecordsUpdated).toBe(2);
        expect(sel.numberOfRecordsUpdated).toBe(0);
        expect(sel.records).toHaveLength(3);
        expect(del.numberOfRecordsUpdated).toBe(1);
      });

      it('returns rows of INSERT ... RETURNING as records', async () => {
        const t = table('ret');
        await exec({ sql: `CREATE TABLE ${t} (id serial PRIMARY KEY, v text)` });
        const r = await exec({ sql: `INSERT INTO ${t} (v) VALUES ('a'), ('b') RETURNING id` });
        expect(r.records).toEqual([[{ longValue: 1 }], [{ longValue: 2 }]]);
        expect(r.numberOfRecordsUpdated).toBe(2);
      });

      it('refuses several statements in one SQL string, but not a semicolon inside a literal or at the end', async () => {
        await expect(exec({ sql: 'SELECT 1; SELECT 2' })).rejects.toMatchObject({ name: 'DatabaseErrorException' });
        const r = await exec({ sql: "SELECT 'a;b' AS s, $$x;y$$ AS d; -- trailing\n" });
        expect(r.records).toEqual([[{ stringValue: 'a;b' }, { stringValue: 'x;y' }]]);
      });

      it('ends a transaction block opened by SQL text with its call, so nothing leaks into later calls', async () => {
        const t = table('sqlbegin');
        await exec({ sql: `CREATE TABLE ${t} (id int)` });
        await exec({ sql: 'BEGIN' });
        await exec({ sql: `INSERT INTO ${t} VALUES (1)` });
        await exec({ sql: 'ROLLBACK' });
        expect(await count(t)).toBe(1);
      });

      it('reports a failing statement as DatabaseErrorException with the SQLSTATE', async () => {
        const err = await failure(exec({ sql: 'SELECT * FROM no_such_table' }));
        expect(err).toMatchObject({ name: 'DatabaseErrorException' });
        expect(err.message).toMatch(/relation "no_such_table" does not exist/);
        expect(err.message).toMatch(/SQLState: 42P01/);
      });
    });

    describe('coordinates', () => {
      it('refuses a wrong resourceArn or secretArn with BadRequestException and an unknown database with DatabaseErrorException', async () => {
        await expect(client.send(new ExecuteStatementCommand({ ...coords, resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:other', sql: 'SELECT 1' })))
          .rejects.toMatchObject({ name: 'BadRequestException' });
        await expect(client.send(new ExecuteStatementCommand({ ...coords, secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:other', sql: 'SELECT 1' })))
          .rejects.toMatchObject({ name: 'BadRequestException' });
        await expect(client.send(new ExecuteStatementCommand({ ...coords, database: 'other', sql: 'SELECT 1' })))
          .rejects.toMatchObject({ name: 'DatabaseErrorException', message: stringMatching(/database "other" does not exist/) });
        await expect(client.send(new BeginTransactionCommand({ ...coords, resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:other' })))
          .rejects.toMatchObject({ name: 'BadRequestException' });
      });

      it('uses the configured database when a call names none', async () => {
        const r = await client.send(new ExecuteStatementCommand({ resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, sql: 'SELECT 1 AS one' }));
        expect(r.records).toEqual([[{ longValue: 1 }]]);
      });
    });

    describe('parameters', () => {
      it('binds stringValue, longValue, doubleValue, booleanValue, blobValue and isNull into typed columns', async () => {
        const t = table('params');
        await exec({ sql: `CREATE TABLE ${t} (s text, l bigint, i int, d double precision, b boolean, x bytea, n text)` });
        const parameters: SqlParameter[] = [
          { name: 's', value: { stringValue: 'héllo' } },
          { name: 'l', value: { longValue: 9007199254740991 } },
          { name: 'i', value: { longValue: -7 } },
          { name: 'd', value: { doubleValue: 2.5 } },
          { name: 'b', value: { booleanValue: false } },
          { name: 'x', value: { blobValue: Uint8Array.from([0, 1, 254, 255]) } },
          { name: 'n', value: { isNull: true } },
        ];
        await exec({ sql: `INSERT INTO ${t} VALUES (:s, :l, :i, :d, :b, :x, :n)`, parameters });
        const r = await exec({ sql: `SELECT * FROM ${t}` });
        expect(r.records![0]).toEqual([
          { stringValue: 'héllo' }, { longValue: 9007199254740991 }, { longValue: -7 }, { doubleValue: 2.5 },
          { booleanValue: false }, { blobValue: Uint8Array.from([0, 1, 254, 255]) }, { isNull: true },
        ]);
      });

      it('maps typeHint DATE, TIME, TIMESTAMP, DECIMAL, UUID and JSON to their PostgreSQL types', async () => {
        const t = table('hints');
        await exec({ sql: `CREATE TABLE ${t} (d date, t time, ts timestamp, n numeric(12,4), u uuid, j jsonb)` });
        await exec({
          sql: `INSERT INTO ${t} VALUES (:d, :t, :ts, :n, :u, :j)`,
          parameters: [
            { name: 'd', value: { stringValue: '2024-02-29' }, typeHint: 'DATE' },
            { name: 't', value: { stringValue: '13:14:15.5' }, typeHint: 'TIME' },
            { name: 'ts', value: { stringValue: '2024-02-29 13:14:15.123' }, typeHint: 'TIMESTAMP' },
            { name: 'n', value: { stringValue: '12345678.1234' }, typeHint: 'DECIMAL' },
            { name: 'u', value: { stringValue: '0190a6c4-7b5e-7000-8000-000000000001' }, typeHint: 'UUID' },
            { name: 'j', value: { stringValue: '{"a":[1,2]}' }, typeHint: 'JSON' },
          ],
        });
        const r = await exec({ sql: `SELECT * FROM ${t}` });
        expect(r.records![0]).toEqual([
          { stringValue: '2024-02-29' }, { stringValue: '13:14:15.5' }, { stringValue: '2024-02-29 13:14:15.123' },
          { stringValue: '12345678.1234' }, { stringValue: '0190a6c4-7b5e-7000-8000-000000000001' }, { stringValue: '{"a": [1, 2]}' },
        ]);
      });

      it('sends a stringValue without typeHint as character varying, so jsonb, timestamp and uuid columns refuse it as on Aurora', async () => {
        const t = table('nohint');
        await exec({ sql: `CREATE TABLE ${t} (j jsonb, ts timestamp, u uuid)` });
        for (const [col, v] of [['j', '{}'], ['ts', '2024-01-01 00:00:00'], ['u', '0190a6c4-7b5e-7000-8000-000000000001']] as const) {
          const sql = `INSERT INTO ${t} (${col}) VALUES (:v)`;
          const err = await failure(exec({ sql, parameters: [{ name: 'v', value: { stringValue: v } }] }));
          expect(err).toMatchObject({ name: 'DatabaseErrorException' });
          expect(err.message).toMatch(/character varying/);
          // The position points into the caller's SQL, at the parameter.
          expect(err.message).toContain(`Position: ${sql.indexOf(':v') + 1};`);
        }
        // A cast in the SQL is the other way Aurora accepts.
        await exec({ sql: `INSERT INTO ${t} (j) VALUES (:v::jsonb)`, parameters: [{ name: 'v', value: { stringValue: '{"k":1}' } }] });
        expect(await count(t)).toBe(1);
      });

      it('refuses typeHint values outside the documented formats', async () => {
        for (const [typeHint, stringValue] of [['TIMESTAMP', '2024-01-01T00:00:00Z'], ['DATE', '01/02/2024'], ['UUID', 'not-a-uuid'], ['DECIMAL', '1,5']] as const) {
          await expect(exec({ sql: 'SELECT :v AS v', parameters: [{ name: 'v', value: { stringValue }, typeHint }] }))
            .rejects.toMatchObject({ name: 'BadRequestException' });
        }
      });

      it('refuses arrayValue parameters with BadRequestException', async () => {
        await expect(exec({ sql: 'SELECT :a AS a', parameters: [{ name: 'a', value: { arrayValue: { longValues: [1, 2] } } }] }))
          .rejects.toMatchObject({ name: 'BadRequestException', message: 'Array parameters are not supported.' });
      });

      it('binds a name used twice once, and refuses a placeholder without a value', async () => {
        const r = await exec({ sql: 'SELECT :x + :x AS twice, :x::text AS casted', parameters: [{ name: 'x', value: { longValue: 21 } }] });
        expect(r.records).toEqual([[{ longValue: 42 }, { stringValue: '21' }]]);
        await expect(exec({ sql: 'SELECT :missing AS m' })).rejects.toMatchObject({ name: 'BadRequestException' });
      });
    });

    describe('results', () => {
      it('types records as Aurora does: numbers, numeric as string, bytea, timestamps in UTC, json, uuid, arrays, NULL', async () => {
        const r = await exec({
          sql: `SELECT 1::int2 AS a, 2::int4 AS b, 3::int8 AS c, 1.5::float4 AS d, 2.25::float8 AS e, 10.50::numeric(6,2) AS f,
                  true AS g, 'x'::text AS h, 'y'::varchar(5) AS i, '\\x00ff'::bytea AS j, '2024-03-01'::date AS k,
                  '2024-03-01 10:00:00.25'::timestamp AS l, '2024-03-01 12:00:00+02'::timestamptz AS m,
                  '{"k": 1}'::jsonb AS n, '0190a6c4-7b5e-7000-8000-000000000001'::uuid AS o,
                  ARRAY[1, NULL, 3]::int[] AS p, ARRAY['a', 'b c']::text[] AS q, ARRAY[1.5, 2.5]::float8[] AS r,
                  ARRAY[true, false] AS s, NULL::int AS t`,
        });
        expect(r.records![0]).toEqual([
          { longValue: 1 }, { longValue: 2 }, { longValue: 3 }, { doubleValue: 1.5 }, { doubleValue: 2.25 }, { stringValue: '10.50' },
          { booleanValue: true }, { stringValue: 'x' }, { stringValue: 'y' }, { blobValue: Uint8Array.from([0, 255]) },
          { stringValue: '2024-03-01' }, { stringValue: '2024-03-01 10:00:00.25' }, { stringValue: '2024-03-01 10:00:00' },
          { stringValue: '{"k": 1}' }, { stringValue: '0190a6c4-7b5e-7000-8000-000000000001' },
          { arrayValue: { longValues: [1, null, 3] } }, { arrayValue: { stringValues: ['a', 'b c'] } },
          { arrayValue: { doubleValues: [1.5, 2.5] } },
          { arrayValue: { booleanValues: [true, false] } }, { isNull: true },
        ]);
        expect(r.columnMetadata).toBeUndefined();
        const edge = await exec({ sql: "SELECT '2024-12-31 23:30:00.5-01:30'::timestamptz AS t" });
        expect(edge.records).toEqual([[{ stringValue: '2025-01-01 01:00:00.5' }]]);
      });

      it('refuses a multidimensional array in a result with UnsupportedResultException', async () => {
        await expect(exec({ sql: 'SELECT ARRAY[[1, 2], [3, 4]] AS grid' })).rejects.toMatchObject({ name: 'UnsupportedResultException' });
      });

      it('applies resultSetOptions: longReturnType STRING and decimalReturnType DOUBLE_OR_LONG', async () => {
        const sql = 'SELECT 9223372036854775807::int8 AS big, 12.5::numeric AS dec, 7::numeric AS whole';
        const asString = await exec({ sql, resultSetOptions: { longReturnType: 'STRING' } });
        expect(asString.records![0]).toEqual([{ stringValue: '9223372036854775807' }, { stringValue: '12.5' }, { stringValue: '7' }]);
        const asNumber = await exec({ sql, resultSetOptions: { decimalReturnType: 'DOUBLE_OR_LONG' } });
        expect(asNumber.records![0]!.slice(1)).toEqual([{ doubleValue: 12.5 }, { longValue: 7 }]);
        const arrays = await exec({ sql: 'SELECT ARRAY[1, 2]::int8[] AS ids', resultSetOptions: { longReturnType: 'STRING' } });
        expect(arrays.records![0]).toEqual([{ arrayValue: { stringValues: ['1', '2'] } }]);
        // A value outside the model, as a hand-written client could send.
        const invalid = { longReturnType: 'TEXT' } as unknown as ResultSetOptions;
        await expect(exec({ sql, resultSetOptions: invalid })).rejects.toMatchObject({ name: 'BadRequestException' });
      });

      it('adds columnMetadata with includeResultMetadata: names, JDBC types, type names, nullability, precision', async () => {
        const t = table('meta');
        await exec({ sql: `CREATE TABLE ${t} (id serial PRIMARY KEY, name varchar(40) NOT NULL, amount numeric(10,2), at timestamptz)` });
        const r = await exec({ sql: `SELECT id, name, amount, at, 1 AS expr FROM ${t}`, includeResultMetadata: true });
        const m = r.columnMetadata!;
        expect(m.map((c) => [c.name, c.label, c.type, c.typeName])).toEqual([
          ['id', 'id', 4, 'serial'], ['name', 'name', 12, 'varchar'], ['amount', 'amount', 2, 'numeric'],
          ['at', 'at', 93, 'timestamptz'], ['expr', 'expr', 4, 'int4'],
        ]);
        expect(m.map((c) => c.nullable)).toEqual([0, 0, 1, 1, 1]);
        expect(m.map((c) => c.tableName)).toEqual([t, t, t, t, '']);
        expect([m[1]!.precision, m[2]!.precision, m[2]!.scale]).toEqual([40, 10, 2]);
        expect(m[0]!.isAutoIncrement).toBe(true);
        expect(m[2]!.isSigned).toBe(true);
      });

      it('returns formattedRecords as a JSON string with formatRecordsAs JSON, and no records or columnMetadata', async () => {
        const r = await exec({
          sql: "SELECT 1 AS id, 'a' AS name, 2.5::float8 AS score, NULL::text AS missing, true AS ok, ARRAY[1,2] AS arr, 3.10::numeric AS price",
          formatRecordsAs: 'JSON', includeResultMetadata: true,
        });
        expect(r.records).toBeUndefined();
        expect(r.columnMetadata).toBeUndefined();
        expect(JSON.parse(r.formattedRecords!)).toEqual([{ id: 1, name: 'a', score: 2.5, missing: null, ok: true, arr: [1, 2], price: '3.10' }]);
      });
    });

    describe('BatchExecuteStatement', () => {
      it('runs the statement once per parameter set and returns one updateResult each', async () => {
        const t = table('batch');
        await exec({ sql: `CREATE TABLE ${t} (id int PRIMARY KEY, v text)` });
        const sets = Array.from({ length: 50 }, (_, i) => [{ name: 'id', value: { longValue: i } }, { name: 'v', value: { stringValue: `v${i}` } }]);
        const r = await client.send(new BatchExecuteStatementCommand({ ...coords, sql: `INSERT INTO ${t} VALUES (:id, :v)`, parameterSets: sets }));
        expect(r.updateResults).toHaveLength(50);
        expect(r.updateResults![0]).toEqual({ generatedFields: [] });
        expect(await count(t)).toBe(50);
      });

      it('applies nothing when one parameter set fails outside a transaction', async () => {
        const t = table('batchfail');
        await exec({ sql: `CREATE TABLE ${t} (id int PRIMARY KEY)` });
        const sets = [1, 2, 2, 3].map((id) => [{ name: 'id', value: { longValue: id } }]);
        await expect(client.send(new BatchExecuteStatementCommand({ ...coords, sql: `INSERT INTO ${t} VALUES (:id)`, parameterSets: sets })))
          .rejects.toMatchObject({ name: 'DatabaseErrorException', message: stringMatching(/23505/) });
        expect(await count(t)).toBe(0);
      });

      it('refuses a statement that returns rows', async () => {
        await expect(client.send(new BatchExecuteStatementCommand({ ...coords, sql: 'SELECT :x AS x', parameterSets: [[{ name: 'x', value: { longValue: 1 } }]] })))
          .rejects.toMatchObject({ name: 'DatabaseErrorException' });
      });
    });

    describe('transactions', () => {
      it('commits: the effect of every statement becomes visible only at CommitTransaction', async () => {
        const t = table('txc');
        await exec({ sql: `CREATE TABLE ${t} (id int)` });
        const { transactionId } = await client.send(new BeginTransactionCommand(coords));
        await exec({ sql: `INSERT INTO ${t} VALUES (1)`, transactionId });
        await client.send(new BatchExecuteStatementCommand({ ...coords, sql: `INSERT INTO ${t} VALUES (:id)`, transactionId, parameterSets: [[{ name: 'id', value: { longValue: 2 } }]] }));
        const inside = await exec({ sql: `SELECT count(*) FROM ${t}`, transactionId });
        const done = await client.send(new CommitTransactionCommand({ ...ends, transactionId }));
        expect(inside.records![0]![0]!.longValue).toBe(2);
        expect(done.transactionStatus).toBe('Transaction Committed');
        expect(await count(t)).toBe(2);
      });

      it('rolls back, and refuses the id afterwards with "Transaction ... is not found"', async () => {
        const t = table('txr');
        await exec({ sql: `CREATE TABLE ${t} (id int)` });
        const { transactionId } = await client.send(new BeginTransactionCommand(coords));
        await exec({ sql: `INSERT INTO ${t} VALUES (1)`, transactionId });
        const done = await client.send(new RollbackTransactionCommand({ ...ends, transactionId }));
        expect(done.transactionStatus).toBe('Rollback Complete');
        expect(await count(t)).toBe(0);
        await expect(exec({ sql: 'SELECT 1', transactionId })).rejects.toMatchObject({ name: 'BadRequestException', message: `Transaction ${transactionId} is not found` });
        await expect(client.send(new CommitTransactionCommand({ ...ends, transactionId }))).rejects.toMatchObject({ name: 'BadRequestException' });
      });

      it('refuses CommitTransaction of a transaction whose statement failed, and applies nothing of it', async () => {
        const t = table('txf');
        await exec({ sql: `CREATE TABLE ${t} (id int PRIMARY KEY)` });
        const { transactionId } = await client.send(new BeginTransactionCommand(coords));
        await exec({ sql: `INSERT INTO ${t} VALUES (1)`, transactionId });
        await expect(exec({ sql: `INSERT INTO ${t} VALUES (1)`, transactionId })).rejects.toMatchObject({ name: 'DatabaseErrorException' });
        await expect(client.send(new CommitTransactionCommand({ ...ends, transactionId }))).rejects.toMatchObject({ name: 'DatabaseErrorException' });
        expect(await count(t)).toBe(0);
      });

      it('refuses a second statement while the transaction is running one', async () => {
        const t = table('busy');
        await exec({ sql: `CREATE TABLE ${t} (id int)` });
        const { transactionId } = await client.send(new BeginTransactionCommand(coords));
        server.faults.delayNext(1, { operations: ['ExecuteStatement'], delayMs: 300 });
        const slow = exec({ sql: `INSERT INTO ${t} VALUES (1)`, transactionId });
        // The delay is taken once the first statement holds the transaction.
        await until(async () => server.faults.pending().delays === 0);
        const second = await failure(exec({ sql: `INSERT INTO ${t} VALUES (2)`, transactionId }));
        await slow;
        await client.send(new CommitTransactionCommand({ ...ends, transactionId }));
        expect(second).toMatchObject({ name: 'DatabaseErrorException', message: 'Transaction is still running a query' });
        expect(await count(t)).toBe(1);
      });

      // Aurora serves a call outside any transaction on another connection at once; a
      // single-connection engine would hold it until the open transaction ends, and its
      // idle rollback would silently discard that transaction.
      it.skipIf(!mode.postgres)('answers a call outside any transaction while another caller holds a transaction open', async () => {
        const t = table('beside');
        await exec({ sql: `CREATE TABLE ${t} (id int)` });
        const { server: s, client: c } = await startServer({ transactionIdleTimeoutMs: 3000 });
        const { transactionId } = await c.send(new BeginTransactionCommand(coords));
        await exec({ sql: `INSERT INTO ${t} VALUES (1)`, transactionId }, c);

        const outside = await exec({ sql: `SELECT count(*) AS n FROM ${t}` }, c);
        const commit = await c.send(new CommitTransactionCommand({ ...ends, transactionId }));

        expect(outside.records).toEqual([[{ longValue: 0 }]]);
        expect(commit.transactionStatus).toBe('Transaction Committed');
        expect(s.openTransactions).toBe(0);
        expect(await count(t)).toBe(1);
      });

      // On Aurora a statement sent to a transaction whose statement still runs in the
      // database is refused, not queued behind it.
      it.skipIf(!mode.postgres)('refuses a statement sent to a transaction still running pg_sleep with "Transaction is still running a query"', async () => {
        const t = table('sleeping');
        await exec({ sql: `CREATE TABLE ${t} (id int)` });
        const { transactionId } = await client.send(new BeginTransactionCommand(coords));
        const sleeping = exec({ sql: 'SELECT pg_sleep(1.5) AS slept', transactionId });
        await until(async () => {
          const r = await exec({ sql: "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'SELECT pg_sleep(1.5)%'" });
          return r.records![0]![0]!.longValue === 1;
        });

        const second = await failure(exec({ sql: `INSERT INTO ${t} VALUES (2)`, transactionId }));
        await sleeping;
        await client.send(new CommitTransactionCommand({ ...ends, transactionId }));

        expect(second).toMatchObject({ name: 'DatabaseErrorException', message: 'Transaction is still running a query' });
        expect(await count(t)).toBe(0);
      });

      it('rolls back a transaction left idle past the idle timeout', async () => {
        const t = table('idle');
        await exec({ sql: `CREATE TABLE ${t} (id int)` });
        const { server: s, client: c } = await startServer({ transactionIdleTimeoutMs: 150 });
        const { transactionId } = await c.send(new BeginTransactionCommand(coords));
        await exec({ sql: `INSERT INTO ${t} VALUES (1)`, transactionId }, c);
        await until(async () => s.openTransactions === 0);
        await expect(exec({ sql: 'SELECT 1', transactionId }, c)).rejects.toMatchObject({ name: 'BadRequestException', message: stringMatching(/is not found/) });
        expect(await count(t)).toBe(0);
      });

      it(mode.postgres
        ? 'holds several transactions open at once, each on its own pooled connection'
        : 'serialises transactions on the single PGlite connection: a second BeginTransaction waits for the first to end', async () => {
        const first = await client.send(new BeginTransactionCommand(coords));
        if (mode.postgres) {
          const second = await client.send(new BeginTransactionCommand(coords));
          expect(server.openTransactions).toBeGreaterThanOrEqual(2);
          await client.send(new CommitTransactionCommand({ ...ends, transactionId: second.transactionId }));
          await client.send(new CommitTransactionCommand({ ...ends, transactionId: first.transactionId }));
          return;
        }
        const events: string[] = [];
        const second = client.send(new BeginTransactionCommand(coords)).then((r) => { events.push('second begun'); return r; });
        await new Promise((r) => setTimeout(r, 100));
        events.push('first commits');
        await client.send(new CommitTransactionCommand({ ...ends, transactionId: first.transactionId }));
        const { transactionId } = await second;
        await client.send(new CommitTransactionCommand({ ...ends, transactionId }));
        expect(events).toEqual(['first commits', 'second begun']);
      });

      it('serves many concurrent callers on separate transactions without losing an update', async () => {
        const t = table('conc');
        await exec({ sql: `CREATE TABLE ${t} (k int PRIMARY KEY, n int NOT NULL)` });
        await exec({ sql: `INSERT INTO ${t} VALUES (1, 0)` });
        const callers = 16;
        await Promise.all(Array.from({ length: callers }, async (_, i) => {
          const { transactionId } = await client.send(new BeginTransactionCommand(coords));
          await exec({ sql: `UPDATE ${t} SET n = n + 1 WHERE k = 1`, transactionId });
          await exec({ sql: `INSERT INTO ${t} VALUES (:k, 0)`, transactionId, parameters: [{ name: 'k', value: { longValue: 100 + i } }] });
          await client.send(new CommitTransactionCommand({ ...ends, transactionId }));
        }));
        const r = await exec({ sql: `SELECT n FROM ${t} WHERE k = 1` });
        expect(r.records![0]![0]!.longValue).toBe(callers);
        expect(await count(t)).toBe(callers + 1);
      });
    });

    describe('limits', () => {
      it('refuses a request over 4 MiB', async () => {
        const big = 'x'.repeat(DATA_API.maxRequestBytes);
        await expect(exec({ sql: 'SELECT :v AS v', parameters: [{ name: 'v', value: { stringValue: big } }] }))
          .rejects.toMatchObject({ name: 'BadRequestException', message: stringMatching(/Request size exceeded/) });
      });

      it('refuses a result over 1 MiB as records, but returns it as formattedRecords (10 MB limit)', async () => {
        const sql = "SELECT repeat('x', 40000) AS v FROM generate_series(1, 40)";
        await expect(exec({ sql })).rejects.toMatchObject({ name: 'BadRequestException', message: stringMatching(/response size limit/) });
        const r = await exec({ sql, formatRecordsAs: 'JSON' });
        expect(r.formattedRecords!.length).toBeGreaterThan(1 * MiB);
      });

      it('refuses a row over 64 KB', async () => {
        await expect(exec({ sql: "SELECT repeat('x', 70000) AS v" })).rejects.toMatchObject({ name: 'BadRequestException', message: stringMatching(/64 KB/) });
      });

      it('times a slow statement out with StatementTimeoutException and cancels it unless continueAfterTimeout is set', async () => {
        const t = table('slow');
        await exec({ sql: `CREATE TABLE ${t} (id int)` });
        const { client: c } = await startServer({ statementTimeoutMs: 200 });
        const slowInsert = (id: number) => `INSERT INTO ${t} SELECT ${id} FROM pg_sleep(0.6)`;
        await expect(exec({ sql: slowInsert(1) }, c)).rejects.toMatchObject({ name: 'StatementTimeoutException' });
        await expect(exec({ sql: slowInsert(2), continueAfterTimeout: true }, c)).rejects.toMatchObject({ name: 'StatementTimeoutException' });
        await until(async () => (await count(t)) === 1);
        const r = await exec({ sql: `SELECT id FROM ${t}` });
        expect(r.records).toEqual([[{ longValue: 2 }]]);
      });

      it('leaves a transaction whose statement timed out unusable: later statements and the commit fail, nothing is applied', async () => {
        const t = table('slowtx');
        await exec({ sql: `CREATE TABLE ${t} (id int)` });
        const { client: c } = await startServer({ statementTimeoutMs: 200 });
        const { transactionId } = await c.send(new BeginTransactionCommand(coords));
        await exec({ sql: `INSERT INTO ${t} VALUES (1)`, transactionId }, c);
        await expect(exec({ sql: `INSERT INTO ${t} SELECT 2 FROM pg_sleep(0.6)`, transactionId }, c)).rejects.toMatchObject({ name: 'StatementTimeoutException' });
        // The statement may still be ending: the transaction refuses calls until it has.
        let next: Error | undefined;
        await until(async () => {
          next = await failure(exec({ sql: 'SELECT 1', transactionId }, c));
          return next.message !== 'Transaction is still running a query';
        });
        expect(next).toMatchObject({ name: 'DatabaseErrorException', message: stringMatching(/current transaction is aborted/) });
        await expect(c.send(new CommitTransactionCommand({ ...ends, transactionId }))).rejects.toMatchObject({ name: 'DatabaseErrorException' });
        expect(await count(t)).toBe(0);
      });

      it('refuses continueAfterTimeout inside a transaction', async () => {
        const { transactionId } = await client.send(new BeginTransactionCommand(coords));
        await expect(exec({ sql: 'SELECT 1', transactionId, continueAfterTimeout: true })).rejects.toMatchObject({ name: 'BadRequestException' });
        await client.send(new RollbackTransactionCommand({ ...ends, transactionId }));
      });
    });
  });
});
