// An aggregator that dies inside its batch transaction (a crash, a timeout, an OOM)
// leaves the transaction open, holding row locks on the checkpoints and rollups it
// touched; the Data API rolls it back only after 3 minutes idle. The transaction's
// first statement bounds its idle time in PostgreSQL itself
// (idle_in_transaction_session_timeout), so the retry of the same shard is applied
// well before that, exactly. Runs on the embedded PostgreSQL, on DATABASE_URL's
// server when set, and on PGlite (where the local Data API enforces the setting).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitTransactionCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import type { Context } from 'aws-lambda';
import { DATA_API, normalizeEvent, serializeEvent } from '../core/index.ts';
import type { SluiceEvent } from '../core/index.ts';
import { createAggregatorHandler } from '../consumers/index.ts';
import { queryRollups } from '../query/index.ts';
import { fieldNumber, DataApiSession, TABLES } from '../schema/index.ts';
import { DATABASE_MODES } from './support/database.ts';
import { startDataApiFixture, type DataApiFixture } from './support/dataApiFixture.ts';
import { kinesisEvent, kinesisRecord } from './support/kinesisRecords.ts';
import { stringMatching } from './support/matchers.ts';

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/abandoned';
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const TYPES = ['click', 'view', 'buy'];
/** The bound under test: small, so the test is quick; the Data API's own is 3 minutes. */
const IDLE_MS = 1000;

function context(remainingMs = 60_000): Context {
  return { getRemainingTimeInMillis: () => remainingMs } as unknown as Context;
}

let seq = 10n ** 55n;
function records(events: SluiceEvent[], partitionKey: string) {
  return events.map((e) => {
    seq += 1000n;
    return kinesisRecord({ data: serializeEvent(e), sequenceNumber: seq.toString(), partitionKey, shardId: 'shardId-000000000000', arrivalMs: Date.now(), streamArn: STREAM_ARN });
  });
}

function makeEvents(n: number, from = 0): SluiceEvent[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return normalizeEvent({ type: TYPES[i % TYPES.length]!, ts: T0 + (i % 3) * 60_000, value: i % 7 });
  });
}

function totals(events: SluiceEvent[], type: string) {
  const mine = events.filter((e) => e.type === type);
  return { count: mine.length, sum: mine.reduce((s, e) => s + e.value, 0) };
}

/**
 * A Data API client whose process "dies" when it is about to commit: that call and
 * every later one never answer, so the transaction is neither committed nor rolled
 * back, as when Lambda kills the handler. `died` resolves with the transaction's id.
 */
function dyingClient(fx: DataApiFixture): { client: RDSDataClient; died: Promise<string> } {
  const client = new RDSDataClient({ endpoint: fx.server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  let dead = false;
  let die!: (transactionId: string) => void;
  const died = new Promise<string>((resolve) => { die = resolve; });
  client.middlewareStack.add((next, context) => async (args) => {
    if (!dead && context.commandName === 'CommitTransactionCommand') {
      dead = true;
      die(String((args.input as { transactionId?: string }).transactionId));
    }
    if (dead) return new Promise<never>(() => {});
    return next(args);
  }, { step: 'initialize', name: 'dieAtCommit' });
  return { client, died };
}

describe.each(DATABASE_MODES)('a batch transaction abandoned inside its Lambda, on $name', (mode) => {
  let fx: DataApiFixture;

  beforeAll(async () => {
    if (!mode.available) return;
    // The Data API's own idle rollback stays at its default: 3 minutes.
    fx = await startDataApiFixture(`abandoned-${mode.source}`, { database: mode.source });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it.skipIf(!mode.available)('no longer blocks the retry of the same shard: it commits long before the Data API\'s idle rollback, with exact totals', async () => {
    expect(DATA_API.transactionIdleTimeoutMs).toBeGreaterThanOrEqual(180_000);
    const first = makeEvents(90);
    const next = makeEvents(60, 90);
    const batch = records(first, 'lane-1');
    const later = records(next, 'lane-1');
    const dying = dyingClient(fx);
    try {
      // The first delivery applies every statement, then its process dies before the commit.
      const crashed = createAggregatorHandler({ rdsData: dying.client, ...fx.target, idleInTransactionTimeoutMs: IDLE_MS })(kinesisEvent(batch), context());
      void crashed;
      const abandoned = await dying.died;
      expect(fx.server.openTransactions).toBe(1);

      // Lambda delivers the same batch again, then the next one, to a new process.
      const handler = createAggregatorHandler({ rdsData: fx.client, ...fx.target, idleInTransactionTimeoutMs: IDLE_MS });
      const retry = await handler(kinesisEvent(batch), context());
      const after = await handler(kinesisEvent(later), context());

      expect(retry.batchItemFailures).toEqual([]);
      expect(after.batchItemFailures).toEqual([]);
      for (const type of TYPES) {
        expect((await queryRollups(fx.client, fx.target, { type })).totals).toMatchObject(totals([...first, ...next], type));
      }
      const checkpoints = await new DataApiSession(fx.client, fx.target).execute(`SELECT count(*) FROM ${TABLES.checkpoints}`);
      expect(fieldNumber(checkpoints[0]![0])).toBe(1);
      // The abandoned transaction is gone (nothing of it committed) and its id says so, as on Aurora.
      expect(fx.server.openTransactions).toBe(0);
      await expect(fx.client.send(new CommitTransactionCommand({ resourceArn: fx.target.resourceArn, secretArn: fx.target.secretArn, transactionId: abandoned })))
        .rejects.toMatchObject({ name: 'BadRequestException', message: stringMatching(/^Transaction .* is not found$/) });
    } finally {
      dying.client.destroy();
    }
  }, 60_000);
});
