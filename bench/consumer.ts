// Consumer benchmark: the same Lambda-shaped batches of KPL-aggregated records (base64
// data, as Lambda delivers them) through (a) sluice's decode, validate and aggregate
// path (deaggregation with checksums, event validation, leveling into rollup deltas and
// building the batch's statements; no I/O) and (b) the baseline: aws-kinesis-agg
// `deaggregateSync` with checksums plus JSON.parse of each event. `ratio` is a / b.
// Events follow a realistic distribution: Zipf over a few thousand pages, grouped by a
// rollup per page. Then the database's side: the default configuration's 50-record
// batches applied by the aggregator (applyBatch) to a real database through the local
// Data API (PGlite, or a scratch database on DATABASE_URL's server), and the tuple
// writes that took (pg_stat_user_tables) per 10,000 events, beside the statements.
// Prints a table, or one JSON object with --json.
//   npm run bench:consumer [-- --json] [-- --events N] [-- --no-database]
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { encodeAggregatedRecord, newEventId, serializeEvent, type SluiceEvent } from '../core/index.ts';
import { applyBatch, validateConfig } from '../consumers/index.ts';
import { DataApiSession } from '../schema/index.ts';
import { startDataApiFixture } from '../test/support/dataApiFixture.ts';
import { settledTupleWrites, tupleWritesBetween } from './tupleWrites.ts';
import type { SluiceConfig } from '../consumers/index.ts';
import {
  advanceCheckpointsStatements, decodeBatch, lockCheckpointsStatements, pruneShardIdsStatement, quarantineStatements, recordEventIdsStatements,
  recordRecordIdsStatements, upsertRollupStatements,
} from '../consumers/aggregator/index.ts';
import type { CheckpointKey, EventIdGroup, RecordIdentity } from '../consumers/aggregator/index.ts';
import { ZipfSampler, seededRandom } from '../loadtest/index.ts';
import { RollupAccumulator } from '../rollup/index.ts';
import { kinesisRecord } from '../test/support/kinesisRecords.ts';

const require = createRequire(import.meta.url);
const kinesisAgg = require('aws-kinesis-agg') as {
  deaggregateSync(record: unknown, computeChecksums: boolean, cb: (err: Error | null, records?: { data: string }[]) => void): void;
};

const args = process.argv.slice(2);
const json = args.includes('--json');
const eventCount = Number(args[args.indexOf('--events') + 1]) || 200_000;
const PAGES = 3_000;
const USERS = 20_000;
const AGGREGATE_BYTES = 50 * 1024; // the KPL's default aggregate size
const BATCH_RECORDS = [10, 50, 100];

/** What `npm start` runs: every event type per minute. */
const DEFAULT = validateConfig({});
/** A richer deployment: per type per minute and hour, and per page (Zipf, 3,000 pages) with distinct users. */
const RICH = validateConfig({
  rollups: [
    { name: 'by_type', windows: [60, 3600] },
    { name: 'by_page', groupBy: ['page'], windows: [60], approxDistinct: 'user' },
  ],
});

function makeEvents(n: number): SluiceEvent[] {
  const rnd = seededRandom(7);
  const pages = new ZipfSampler(PAGES, 1.1, rnd);
  const page = () => pages.next() + 1;
  const types = ['page.view', 'page.view', 'page.view', 'button.click', 'cart.add', 'checkout.complete', 'search.query', 'video.play'];
  const t0 = Date.UTC(2026, 10, 28, 14, 0, 0);
  return Array.from({ length: n }, (_, i) => {
    const ts = t0 + i * 3;
    return {
      id: newEventId(ts), idOrigin: 'producer' as const, type: types[Math.floor(rnd() * types.length)]!, ts,
      value: Math.round(rnd() * 50_000) / 100,
      dims: { page: `/p/${page()}`, user: `u${Math.floor(rnd() * USERS)}`, device: rnd() < 0.6 ? 'mobile' : 'desktop' },
    };
  });
}

/** KPL aggregates of about AGGREGATE_BYTES, as Lambda records (base64 data). */
function makeRecords(events: SluiceEvent[]): KinesisStreamRecord[] {
  const records: KinesisStreamRecord[] = [];
  let seq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
  let pending: Buffer[] = [];
  let bytes = 0;
  const flush = () => {
    const data = encodeAggregatedRecord({ partitionKeyTable: ['k'], explicitHashKeyTable: [], records: pending.map((d) => ({ partitionKeyIndex: 0, data: d })) });
    seq += 1n;
    records.push(kinesisRecord({
      data, sequenceNumber: seq.toString(), partitionKey: `pk-${records.length % 64}`, arrivalMs: 1_764_338_400_000,
      streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
    }));
    pending = [];
    bytes = 0;
  };
  for (const ev of events) {
    const data = serializeEvent(ev);
    if (bytes + data.length + 8 > AGGREGATE_BYTES && pending.length > 0) flush();
    pending.push(data);
    bytes += data.length + 8;
  }
  if (pending.length > 0) flush();
  return records;
}

function toBatches(records: KinesisStreamRecord[], size: number): KinesisStreamEvent[] {
  const out: KinesisStreamEvent[] = [];
  for (let i = 0; i < records.length; i += size) out.push({ Records: records.slice(i, i + size) });
  return out;
}

/**
 * (a) sluice: decode + validate + level + build the batch's statements. Returns events
 * and statements. `dimensionsRead` is what the handler computes once from its config.
 */
function sluiceBatch(batch: KinesisStreamEvent, config: SluiceConfig, dimensionsRead: ReadonlySet<string>): { events: number; statements: number } {
  const decoded = decodeBatch(batch, dimensionsRead);
  const acc = new RollupAccumulator(config);
  // As applyBatch: one identity per Kinesis record, and ids only of events whose id a
  // client supplied, grouped per record with its shard and arrival (stream time).
  const identities: RecordIdentity[] = [];
  const groups: EventIdGroup[] = [];
  const earliest = new Map<string, number>();
  const keys = new Map<string, CheckpointKey & { sequenceNumber: string }>();
  let clientIds = 0;
  for (const r of decoded) {
    const arrivalMs = r.approximateArrivalTimestamp * 1000;
    identities.push({ digest: r.digest, shardId: r.shardId, arrivalMs });
    let group: EventIdGroup | undefined;
    for (const ev of r.events) {
      acc.add(ev);
      if (ev.idOrigin === 'client') {
        if (group === undefined) groups.push(group = { shardId: r.shardId, arrivalMs, ids: [] });
        group.ids.push(ev.id);
        clientIds++;
      }
    }
    earliest.set(r.shardId, Math.min(earliest.get(r.shardId) ?? arrivalMs, arrivalMs));
    keys.set(`${r.shardId}\u0000${r.partitionKey}`, r);
  }
  const shards = [...earliest].map(([shardId, earliestArrivalMs]) => ({ shardId, earliestArrivalMs }));
  const statements = 2 // BeginTransaction + CommitTransaction
    + lockCheckpointsStatements([...keys.values()]).length
    + recordRecordIdsStatements(identities, config.dedupHorizonSeconds).length
    + (clientIds > 0 ? recordEventIdsStatements(groups, config.dedupHorizonSeconds).length : 0)
    + (pruneShardIdsStatement(shards, config.dedupHorizonSeconds, { records: 2 * identities.length, events: 2 * clientIds }) ? 1 : 0)
    + quarantineStatements(decoded.flatMap((r) => r.poison)).length
    + upsertRollupStatements(acc.deltas()).length
    + advanceCheckpointsStatements([...keys.values()]).length;
  return { events: acc.eventCount, statements };
}

/** (b) baseline: aws-kinesis-agg deaggregateSync with checksums, JSON.parse per event. */
function baselineBatch(batch: KinesisStreamEvent): number {
  let n = 0;
  for (const r of batch.Records) {
    kinesisAgg.deaggregateSync(r.kinesis, true, (err, users) => {
      if (err) throw err;
      for (const u of users!) {
        JSON.parse(Buffer.from(u.data, 'base64').toString('utf8'));
        n++;
      }
    });
  }
  return n;
}

/** Events per second of `fn` over about `ms` of repeated runs. */
function rate(fn: () => number, ms: number): number {
  let events = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    events += fn();
    elapsed = performance.now() - started;
  }
  return events / (elapsed / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Both paths, interleaved in short rounds so a noisy neighbour on the machine slows
 * both alike; the median round of each is reported.
 */
function compare(a: () => number, b: () => number, rounds = 7, roundMs = 250): [number, number] {
  a();
  b(); // warm-up
  const ra: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    ra.push(rate(a, roundMs));
    rb.push(rate(b, roundMs));
  }
  return [median(ra), median(rb)];
}

const events = makeEvents(eventCount);
const records = makeRecords(events);
interface Row { config: string; batchRecords: number; eventsPerBatch: number; rollupRowsPerBatch: number; statementsPerBatch: number; sluiceEventsPerSec: number; baselineEventsPerSec: number }
const rows: Row[] = [];
for (const [name, config] of [['default', DEFAULT], ['rich', RICH]] as const) {
  for (const size of BATCH_RECORDS) {
    const full = toBatches(records, size).filter((b) => b.Records.length === size);
    const dimensionsRead = RollupAccumulator.dimensionsRead(config);
    const probe = sluiceBatch(full[0]!, config, dimensionsRead);
    const acc = new RollupAccumulator(config);
    for (const r of decodeBatch(full[0]!, dimensionsRead)) for (const ev of r.events) acc.add(ev);
    const [sluiceEventsPerSec, baselineEventsPerSec] = compare(
      () => full.reduce((n, b) => n + sluiceBatch(b, config, dimensionsRead).events, 0),
      () => full.reduce((n, b) => n + baselineBatch(b), 0),
    );
    rows.push({
      config: name, batchRecords: size, eventsPerBatch: probe.events, rollupRowsPerBatch: acc.rowCount,
      statementsPerBatch: probe.statements, sluiceEventsPerSec, baselineEventsPerSec,
    });
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const summary = (name: string) => {
  const mine = rows.filter((r) => r.config === name);
  const sluice = mean(mine.map((r) => r.sluiceEventsPerSec));
  const baseline = mean(mine.map((r) => r.baselineEventsPerSec));
  // at the 50-record batch (about 15k events, a typical Lambda batch of aggregates)
  const mid = mine.find((r) => r.batchRecords === 50) ?? mine[0]!;
  return {
    sluiceEventsPerSec: Math.round(sluice),
    baselineEventsPerSec: Math.round(baseline),
    ratio: Number((sluice / baseline).toFixed(2)),
    statementsPer10kEvents: Number(((mid.statementsPerBatch * 10_000) / mid.eventsPerBatch).toFixed(2)),
  };
};
/**
 * The default configuration's 50-record batches applied to a real database: Data API
 * calls and tuple writes (every sluice table, pg_stat_user_tables) per 10,000 events.
 */
async function databaseRun(): Promise<{ database: string; events: number; statementsPer10kEvents: number; tupleWritesPer10kEvents: number; tupleWritesByTable: Record<string, { inserts: number; updates: number; deletes: number }> }> {
  const fx = await startDataApiFixture('bench-consumer');
  try {
    const session = new DataApiSession(fx.client, fx.target);
    // PostgreSQL's other sessions publish their counters within ~10 s of going idle; PGlite has one session.
    const quietMs = process.env.DATABASE_URL ? 11_000 : 1_000;
    const dimensionsRead = RollupAccumulator.dimensionsRead(DEFAULT);
    const before = await settledTupleWrites(session, quietMs);
    let applied = 0;
    let calls = 0;
    for (const b of toBatches(records, 50)) {
      const outcome = await applyBatch(session, decodeBatch(b, dimensionsRead), DEFAULT);
      applied += outcome.eventsApplied;
      calls += outcome.calls;
    }
    const writes = tupleWritesBetween(before, await settledTupleWrites(session, quietMs));
    return {
      database: process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'PGlite',
      events: applied,
      statementsPer10kEvents: Number(((calls * 10_000) / applied).toFixed(2)),
      tupleWritesPer10kEvents: Number(((writes.total * 10_000) / applied).toFixed(2)),
      tupleWritesByTable: writes.byTable,
    };
  } finally {
    await fx.close();
  }
}

const headline = summary('default');
const rich = summary('rich');
const database = args.includes('--no-database') ? undefined : await databaseRun();
const result = {
  events: eventCount,
  kinesisRecords: records.length,
  distinctPages: PAGES,
  ...headline,
  ...(database ? { tupleWritesPer10kEvents: database.tupleWritesPer10kEvents, database } : {}),
  rich,
  perBatch: rows.map((r) => ({ ...r, sluiceEventsPerSec: Math.round(r.sluiceEventsPerSec), baselineEventsPerSec: Math.round(r.baselineEventsPerSec) })),
};

if (json) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  process.stdout.write(`consumer bench: ${fmt(eventCount)} events in ${records.length} KPL records (~50 KiB), pages Zipf over ${PAGES}, one core\n`);
  process.stdout.write('config default = every type per minute; rich = type per minute and hour + per page per minute with distinct users (HLL)\n\n');
  const header = ['config', 'records/batch', 'events/batch', 'rollup rows', 'statements', 'sluice ev/s', 'baseline ev/s', 'ratio'];
  const body = result.perBatch.map((r) => [r.config, String(r.batchRecords), fmt(r.eventsPerBatch), fmt(r.rollupRowsPerBatch), String(r.statementsPerBatch), fmt(r.sluiceEventsPerSec), fmt(r.baselineEventsPerSec), (r.sluiceEventsPerSec / r.baselineEventsPerSec).toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write([line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n\n');
  process.stdout.write(`default: sluice ${fmt(headline.sluiceEventsPerSec)} ev/s vs baseline (aws-kinesis-agg deaggregateSync + JSON.parse) ${fmt(headline.baselineEventsPerSec)} ev/s, ratio ${headline.ratio}; statements per 10k events ${headline.statementsPer10kEvents}\n`);
  process.stdout.write(`rich:    sluice ${fmt(rich.sluiceEventsPerSec)} ev/s vs baseline ${fmt(rich.baselineEventsPerSec)} ev/s, ratio ${rich.ratio}; statements per 10k events ${rich.statementsPer10kEvents}\n`);
  process.stdout.write('statements per batch do not grow with the batch: one statement per step, chunked only at the Data API size limits\n');
  if (database) {
    process.stdout.write(`database (${database.database}, default config, 50-record batches applied): statements per 10k events ${database.statementsPer10kEvents}; `
      + `tuple writes per 10k events ${database.tupleWritesPer10kEvents} (${Object.entries(database.tupleWritesByTable).filter(([, w]) => w.inserts + w.updates + w.deletes > 0)
        .map(([t, w]) => `${t} +${w.inserts}/~${w.updates}/-${w.deletes}`).join(', ')})\n`);
  }
}
