// Fault injection of the local Data API, as the aggregator's tests drive it: in
// process (server.faults) and over the admin HTTP API, observed through
// @aws-sdk/client-rds-data only. Runs on the embedded PostgreSQL, on PGlite and, when DATABASE_URL is set, on a
// real PostgreSQL.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchExecuteStatementCommand, BeginTransactionCommand, CommitTransactionCommand, DatabaseErrorException,
  DatabaseResumingException, ExecuteStatementCommand, BadRequestException, InternalServerErrorException, RDSDataClient,
  ServiceUnavailableError, StatementTimeoutException, type ExecuteStatementCommandInput,
} from '@aws-sdk/client-rds-data';
import type { SqlDatabase } from '../local/database/index.ts';
import { DataApiServer, FAULTS_PATH } from '../local/dataapi/index.ts';
import { DATABASE_MODES as MODES, failure, openModeDatabase, tableNamer } from './support/database.ts';
import { stringMatching } from './support/matchers.ts';

const RESOURCE_ARN = 'arn:aws:rds:us-east-1:000000000000:cluster:sluice-faults';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:sluice-faults';
const DB_NAME = 'sluice';
const coords = { resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, database: DB_NAME };
const ends = { resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN };

const table = tableNamer();

describe.each(MODES)('Data API faults on $name', (mode) => {
  describe.skipIf(!mode.available)(mode.available ? 'fault injection' : 'skipped: DATABASE_URL is not set, so there is no real PostgreSQL to run against', () => {
    let opened: Awaited<ReturnType<typeof openModeDatabase>> | undefined;
    let db: SqlDatabase;
    let server: DataApiServer;
    let client: RDSDataClient;

    const exec = (input: Partial<ExecuteStatementCommandInput> & { sql: string }) => client.send(new ExecuteStatementCommand({ ...coords, ...input }));
    const count = async (t: string) => Number((await exec({ sql: `SELECT count(*) FROM ${t}` })).records![0]![0]!.longValue);
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 500; i++) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('condition not reached');
    };
    const admin = (method: string, body?: unknown, s = server) =>
      fetch(`${s.endpoint}${FAULTS_PATH}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });

    beforeAll(async () => {
      opened = await openModeDatabase(mode);
      db = opened.db;
      // A short statement timeout so "delayed past its timeout" is quick, yet long enough
      // that an ordinary statement on a loaded machine never reaches it.
      server = await DataApiServer.start({
        database: db, resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, databaseName: DB_NAME, faultInjection: true, statementTimeoutMs: 1_500,
      });
      client = new RDSDataClient({ endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    });
    afterEach(() => server.faults.clear());
    afterAll(async () => {
      await server?.close();
      await opened?.close();
    });

    it('fails the next N calls of the given operations with the named exception, then recovers', async () => {
      server.faults.failNext(2, 'DatabaseErrorException', { operations: ['ExecuteStatement'] });
      const first = await failure(exec({ sql: 'SELECT 1' }));
      const { transactionId } = await client.send(new BeginTransactionCommand(coords));
      const second = await failure(exec({ sql: 'SELECT 1', transactionId }));
      const third = await exec({ sql: 'SELECT 1', transactionId });
      await client.send(new CommitTransactionCommand({ ...ends, transactionId }));
      expect(first).toBeInstanceOf(DatabaseErrorException);
      expect(second).toBeInstanceOf(DatabaseErrorException);
      expect(third.records).toEqual([[{ longValue: 1 }]]);
    });

    it('raises each injected exception as its SDK class with the service status', async () => {
      const cases = [
        ['BadRequestException', BadRequestException, 400], ['DatabaseErrorException', DatabaseErrorException, 400],
        ['StatementTimeoutException', StatementTimeoutException, 400], ['DatabaseResumingException', DatabaseResumingException, 400],
        ['InternalServerErrorException', InternalServerErrorException, 500], ['ServiceUnavailableError', ServiceUnavailableError, 503],
      ] as const;
      for (const [name, cls, status] of cases) {
        server.faults.failNext(1, name);
        const err = await failure(exec({ sql: 'SELECT 1' }));
        expect(err).toBeInstanceOf(cls);
        expect((err as unknown as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(status);
      }
    });

    it('delays a statement past its timeout: the caller gets StatementTimeoutException, the write still commits', async () => {
      const t = table('delayed');
      await exec({ sql: `CREATE TABLE ${t} (id int)` });
      server.faults.delayNext(1, { operations: ['ExecuteStatement'] });
      const err = await failure(exec({ sql: `INSERT INTO ${t} VALUES (1)` }));
      server.faults.delayNext(1, { operations: ['BatchExecuteStatement'] });
      const batchErr = await failure(client.send(new BatchExecuteStatementCommand({
        ...coords, sql: `INSERT INTO ${t} VALUES (:id)`, parameterSets: [[{ name: 'id', value: { longValue: 2 } }], [{ name: 'id', value: { longValue: 3 } }]],
      })));
      expect(err).toBeInstanceOf(StatementTimeoutException);
      expect(batchErr).toBeInstanceOf(StatementTimeoutException);
      await until(async () => (await count(t)) === 3);
    });

    it('commits and then drops the response of CommitTransaction: the client sees a failure, the effect is there', async () => {
      const t = table('dropped');
      await exec({ sql: `CREATE TABLE ${t} (id int)` });
      const { transactionId } = await client.send(new BeginTransactionCommand(coords));
      await exec({ sql: `INSERT INTO ${t} VALUES (1)`, transactionId });
      server.faults.dropResponseAfterCommit(1);
      const err = await failure(client.send(new CommitTransactionCommand({ ...ends, transactionId })));
      expect(err).not.toBeInstanceOf(BadRequestException);
      expect(await count(t)).toBe(1);
      // A blind retry of the commit finds the transaction gone.
      await expect(client.send(new CommitTransactionCommand({ ...ends, transactionId }))).rejects.toBeInstanceOf(BadRequestException);
    });

    it('commits and then answers InternalServerErrorException for an autocommit statement in "error" mode', async () => {
      const t = table('dropped_auto');
      await exec({ sql: `CREATE TABLE ${t} (id int)` });
      server.faults.dropResponseAfterCommit(1, { operations: ['ExecuteStatement', 'BatchExecuteStatement'], mode: 'error' });
      const err = await failure(exec({ sql: `INSERT INTO ${t} VALUES (1)` }));
      const next = await exec({ sql: `INSERT INTO ${t} VALUES (2)` });
      expect(err).toBeInstanceOf(InternalServerErrorException);
      expect(next.numberOfRecordsUpdated).toBe(1);
      expect(await count(t)).toBe(2);
    });

    it('never drops the response of a statement inside a transaction (nothing is committed there)', async () => {
      const t = table('dropped_tx');
      await exec({ sql: `CREATE TABLE ${t} (id int)` });
      server.faults.dropResponseAfterCommit(1, { operations: ['ExecuteStatement', 'CommitTransaction'], mode: 'error' });
      const { transactionId } = await client.send(new BeginTransactionCommand(coords));
      const inside = await exec({ sql: `INSERT INTO ${t} VALUES (1)`, transactionId });
      const err = await failure(client.send(new CommitTransactionCommand({ ...ends, transactionId })));
      expect(inside.numberOfRecordsUpdated).toBe(1);
      expect(err).toBeInstanceOf(InternalServerErrorException);
      expect(await count(t)).toBe(1);
    });

    it('reports DatabaseResumingException for the given time, then serves again', async () => {
      server.faults.resumingFor(300);
      const err = await failure(exec({ sql: 'SELECT 1' }));
      expect(err).toBeInstanceOf(DatabaseResumingException);
      await until(async () => (await exec({ sql: 'SELECT 1' }).then(() => true, () => false)));
      expect(server.faults.pending().resumingForMs).toBe(0);
    });

    it('clears every pending fault', async () => {
      server.faults.failNext(3, 'BadRequestException');
      server.faults.delayNext(2);
      server.faults.dropResponseAfterCommit(1);
      server.faults.resumingFor(60_000);
      server.faults.clear();
      const r = await exec({ sql: 'SELECT 1' });
      expect(r.records).toEqual([[{ longValue: 1 }]]);
      expect(server.faults.pending()).toEqual({ failures: 0, delays: 0, drops: 0, resumingForMs: 0 });
    });

    it('serves the same faults over the admin HTTP API, and refuses an invalid one', async () => {
      const posted = await admin('POST', { kind: 'fail', count: 1, error: 'ServiceUnavailableError', operations: ['ExecuteStatement'] });
      const pending: unknown = await (await admin('GET')).json();
      const err = await failure(exec({ sql: 'SELECT 1' }));
      await admin('POST', { kind: 'resuming', durationMs: 60_000 });
      await admin('DELETE');
      const after = await exec({ sql: 'SELECT 1' });
      const invalid = await admin('POST', { kind: 'fail', error: 'NoSuchException' });
      expect(posted.status).toBe(200);
      expect(pending).toMatchObject({ failures: 1 });
      expect(err).toBeInstanceOf(ServiceUnavailableError);
      expect(after.records).toEqual([[{ longValue: 1 }]]);
      expect(invalid.status).toBe(400);
      expect(await invalid.json()).toMatchObject({ message: stringMatching(/NoSuchException/) });
    });

    it('does not serve the admin API unless the server was started with faultInjection', async () => {
      const plain = await DataApiServer.start({ database: db, resourceArn: RESOURCE_ARN, secretArn: SECRET_ARN, databaseName: DB_NAME });
      try {
        const r = await admin('POST', { kind: 'resuming', durationMs: 60_000 }, plain);
        expect(r.status).toBe(404);
        expect(plain.faults.pending().resumingForMs).toBe(0);
      } finally {
        await plain.close();
      }
    });
  });
});
