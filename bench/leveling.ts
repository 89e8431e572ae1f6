// Leveling, measured the way a new user meets it: the local stack with `npm start`'s
// defaults (4 shards, default mappings, every type per minute), `sluice send` of
// 300,000 events without ids (the producer generates them) of five types over six
// minutes, then 100,000 events that all carry client ids. After each phase: the
// database's tuple writes (inserts + updates + deletes of every sluice table, from
// pg_stat_user_tables through the Data API) per 10,000 events, beside the Data API
// transactions, with every rollup total checked exact. The database is PGlite, or a
// scratch database on DATABASE_URL's server. Prints a table, or one JSON object with --json.
//   npm run bench:leveling [-- --events N] [-- --client-events N] [-- --json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, awsClientConfig } from '../core/index.ts';
import { startStack } from '../local/index.ts';
import { queryRollups } from '../query/index.ts';
import { DataApiSession } from '../schema/index.ts';
import { seededRandom } from '../loadtest/index.ts';
import { scratchDatabaseUrl } from '../test/support/database.ts';
import { settledTupleWrites, tupleWritesBetween, type TupleWrites } from './tupleWrites.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const json = args.includes('--json');
const producerEvents = flag('--events', 300_000);
const clientEvents = flag('--client-events', 100_000);
const TYPES = ['page_view', 'click', 'order', 'signup', 'api.call'];
const START = Date.UTC(2026, 10, 28, 14, 0, 0);
const MINUTES = 6;
const BIN = fileURLToPath(new URL('../bin/sluice.mjs', import.meta.url));

interface Phase {
  name: string;
  events: number;
  idOrigin: 'producer' | 'client';
  tupleWrites: number;
  tupleWritesPer10kEvents: number;
  byTable: TupleWrites['byTable'];
  transactions: number;
  peakOpenTransactions: number;
  totalsExact: boolean;
}

/** `n` events of five types over six minutes, values in cents; with `idPrefix`, each carries a client id. */
function makeEvents(n: number, seed: number, idPrefix?: string): { type: string; ts: number; value: number; id?: string }[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => ({
    ...(idPrefix ? { id: `${idPrefix}-${i}` } : {}),
    type: TYPES[Math.floor(rand() * TYPES.length)]!,
    ts: START + Math.floor(rand() * MINUTES * 60_000),
    value: Math.round(rand() * 100_000) / 100,
  }));
}

/** Per type: count and sum in cents, exactly. */
function centsByType(events: { type: string; value: number }[]): Map<string, { count: number; cents: bigint }> {
  const out = new Map<string, { count: number; cents: bigint }>();
  for (const e of events) {
    const t = out.get(e.type) ?? { count: 0, cents: 0n };
    t.count++;
    t.cents += BigInt(Math.round(e.value * 100));
    out.set(e.type, t);
  }
  return out;
}

function centsOf(decimal: string): bigint {
  const [int, frac = ''] = decimal.split('.');
  const neg = int!.startsWith('-');
  const cents = BigInt(int!.replace('-', '')) * 100n + BigInt((frac + '00').slice(0, 2));
  return neg ? -cents : cents;
}

function sendFile(file: string, dataDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'send', file], { env: { ...process.env, SLUICE_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`sluice send exited with ${code}: ${out}`))));
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-leveling-'));
  const scratch = await scratchDatabaseUrl();
  // The Data API's PostgreSQL sessions publish their counters within ~10 s of going idle; PGlite has one session.
  const quietMs = scratch ? 11_000 : 1_000;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  const stack = await startStack({ dataDir, ...(scratch ? { databaseUrl: scratch.url } : {}) });
  const rdsData = new RDSDataClient(awsClientConfig(stack.env, 'rdsData'));
  const target = { resourceArn: stack.env[ENV.dbClusterArn]!, secretArn: stack.env[ENV.dbSecretArn]!, database: stack.env[ENV.dbName]! };
  const session = new DataApiSession(rdsData, target);
  const phases: Phase[] = [];
  const sent: { type: string; value: number }[] = [];
  try {
    for (const [name, n, idOrigin] of [['producer ids', producerEvents, 'producer'], ['client ids', clientEvents, 'client']] as const) {
      if (n <= 0) continue;
      const events = makeEvents(n, phases.length + 1, idOrigin === 'client' ? 'order' : undefined);
      const file = join(dataDir, `${idOrigin}.ndjson`);
      writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      const before = await settledTupleWrites(session, quietMs);
      const { begun } = await stack.dataApi.transactionCounts();
      await stack.dataApi.resetTransactionPeak();

      await sendFile(file, dataDir);
      await stack.waitIdle();

      const after = await settledTupleWrites(session, quietMs);
      const delta = tupleWritesBetween(before, after);
      for (const e of events) sent.push(e);
      let exact = true;
      for (const [type, want] of centsByType(sent)) {
        const { totals } = await queryRollups(rdsData, target, { type, from: START, to: START + MINUTES * 60_000 });
        if (totals.count !== want.count || centsOf(totals.sumExact) !== want.cents) exact = false;
      }
      const counts = await stack.dataApi.transactionCounts();
      phases.push({
        name, events: n, idOrigin, tupleWrites: delta.total,
        tupleWritesPer10kEvents: Number(((delta.total * 10_000) / n).toFixed(1)), byTable: delta.byTable,
        transactions: counts.begun - begun, peakOpenTransactions: counts.peakOpen,
        totalsExact: exact,
      });
    }
  } finally {
    rdsData.destroy();
    await stack.stop();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const result = { database: scratch ? 'PostgreSQL (DATABASE_URL)' : 'PGlite', shards: 4, rollups: 'every type per minute', phases };
  if (json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const fmt = (x: number) => x.toLocaleString('en-US');
    process.stdout.write(`leveling bench: local stack (npm start defaults, ${result.database}), sluice send, five types over ${MINUTES} minutes\n\n`);
    for (const p of phases) {
      process.stdout.write(`${fmt(p.events)} events with ${p.name}: ${fmt(p.tupleWrites)} tuple writes, ${p.tupleWritesPer10kEvents} per 10,000 events; `
        + `${fmt(p.transactions)} transactions, at most ${p.peakOpenTransactions} open at once; totals ${p.totalsExact ? 'exact' : 'WRONG'}\n`);
      for (const [table, w] of Object.entries(p.byTable)) {
        if (w.inserts + w.updates + w.deletes > 0) process.stdout.write(`  ${table.padEnd(20)} ins ${fmt(w.inserts).padStart(9)}  upd ${fmt(w.updates).padStart(7)}  del ${fmt(w.deletes).padStart(7)}\n`);
      }
    }
  }
  if (phases.some((p) => !p.totalsExact)) process.exitCode = 1;
}

await main();
