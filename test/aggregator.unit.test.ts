// The aggregator's pure parts: batch decoding into events and poison records, SQL
// building and chunking under the Data API limits, failure classification and the
// retry budget. No network.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { KinesisStreamRecord } from 'aws-lambda';
import { DATA_API, encodeAggregatedRecord, encodeCompressedRecord, normalizeEvent, serializeEvent } from '../core/index.ts';
import {
  retryDelayMs, canRetry, classifyDataApiError, decodeRecord,
  lockCheckpointsStatements, recordEventIdsStatements,
  upsertRollupStatements, DEFAULT_RETRY_POLICY,
} from '../consumers/aggregator/index.ts';
// Internal to the aggregator (not on its surface): the parameter-size arithmetic.
import { chunkJsonArray, escapedJsonBytes, MAX_PARAMETER_BYTES } from '../consumers/aggregator/chunking.ts';
import { RollupAccumulator } from '../rollup/index.ts';
import { DEFAULT_CONFIG, validateConfig } from '../consumers/index.ts';
import { splitSqlStatements, loadMigrations, TABLES } from '../schema/index.ts';
import { kinesisRecord as lambdaKinesisRecord } from './support/kinesisRecords.ts';
import { objectContaining, stringContaining, stringMatching } from './support/matchers.ts';

function kinesisRecord(data: Buffer, sequenceNumber = '49590338271490256608559692538361571095921575989136588898'): KinesisStreamRecord {
  return lambdaKinesisRecord({ data, sequenceNumber, shardId: 'shardId-000000000006', arrivalMs: 1_700_000_000_500 });
}

const good = (i: number) => normalizeEvent({ type: 't', value: i });

describe('decodeRecord', () => {
  it('reads plain, KPL and compressed records into events', () => {
    const events = [good(1), good(2), good(3)];
    const agg = { partitionKeyTable: ['a'], explicitHashKeyTable: [], records: events.map((e) => ({ partitionKeyIndex: 0, data: serializeEvent(e) })) };

    const plain = decodeRecord(kinesisRecord(serializeEvent(events[0]!)));
    const kpl = decodeRecord(kinesisRecord(encodeAggregatedRecord(agg)));
    const compressed = decodeRecord(kinesisRecord(encodeCompressedRecord(agg)));

    // The producer generated these ids, and its layout says so.
    expect(events.map((e) => e.idOrigin)).toEqual(['producer', 'producer', 'producer']);
    expect(plain.events).toEqual([events[0]]);
    expect(kpl.events).toEqual(events);
    expect(compressed.events).toEqual(events);
    expect(kpl).toMatchObject({ shardId: 'shardId-000000000006', partitionKey: 'pk', poison: [] });
  });

  it('quarantines a bad sub-record and keeps its neighbours', () => {
    const agg = {
      partitionKeyTable: ['a'], explicitHashKeyTable: [],
      records: [serializeEvent(good(1)), Buffer.from('{"type":"t","id":"x","value":"2"}'), serializeEvent(good(3))].map((data) => ({ partitionKeyIndex: 0, data })),
    };

    const out = decodeRecord(kinesisRecord(encodeAggregatedRecord(agg)));

    expect(out.events.map((e) => e.value)).toEqual([1, 3]);
    expect(out.poison).toEqual([objectContaining({ subSequenceNumber: 1, reason: 'invalid event: value: must be a finite number' })]);
    expect(out.poison[0]!.raw.toString()).toBe('{"type":"t","id":"x","value":"2"}');
  });

  it('quarantines a whole record whose checksum is wrong, with its raw bytes', () => {
    const bytes = encodeAggregatedRecord({ partitionKeyTable: ['a'], explicitHashKeyTable: [], records: [{ partitionKeyIndex: 0, data: serializeEvent(good(1)) }] });
    bytes[bytes.length - 1]! ^= 0xff;

    const out = decodeRecord(kinesisRecord(bytes));

    expect(out.events).toEqual([]);
    expect(out.poison).toEqual([objectContaining({ subSequenceNumber: -1, reason: stringMatching(/corrupt record.*checksum/) })]);
    expect(out.poison[0]!.raw.equals(bytes)).toBe(true);
  });

  it('reads events in any JSON layout, as other producers write them', () => {
    const texts = [
      '{"type":"t","id":"a","ts":1764338400000}', // another key order, value left out
      '{ "id": "b", "type": "t", "ts": "2026-11-28T14:00:00Z", "value": 2.5, "dims": { "country": "\\u00e9" } }',
      '{"id":"c","type":"t","ts":1764338400000,"value":1,"dims":{"country":"x","country":"y"}}', // JSON.parse keeps the last
    ];
    const agg = { partitionKeyTable: ['a'], explicitHashKeyTable: [], records: texts.map((t) => ({ partitionKeyIndex: 0, data: Buffer.from(t) })) };

    const out = decodeRecord(kinesisRecord(encodeAggregatedRecord(agg)));

    expect(out.poison).toEqual([]);
    expect(out.events).toEqual([
      { id: 'a', idOrigin: 'client', type: 't', ts: 1764338400000, value: 1, derived: ['value'] },
      { id: 'b', idOrigin: 'client', type: 't', ts: Date.UTC(2026, 10, 28, 14), value: 2.5, dims: { country: 'é' }, derived: [] },
      { id: 'c', idOrigin: 'client', type: 't', ts: 1764338400000, value: 1, dims: { country: 'y' }, derived: [] },
    ]);
  });

  it('keeps only the dimensions asked for, and still quarantines an event whose other dimensions are bad', () => {
    const ok = normalizeEvent({ type: 't', dims: { country: 'fr', device: 'mobile', user: 'u1' } });
    const bad = Buffer.from(`{"id":"x","type":"t","ts":1764338400000,"value":1,"dims":{"country":"fr","device":"${'m'.repeat(257)}"}}`);
    const agg = { partitionKeyTable: ['a'], explicitHashKeyTable: [], records: [serializeEvent(ok), bad].map((data) => ({ partitionKeyIndex: 0, data })) };
    const keep = RollupAccumulator.dimensionsRead({ ...DEFAULT_CONFIG, rollups: [{ name: 'r', types: '*', groupBy: ['country'], windows: [60] }] });

    const out = decodeRecord(kinesisRecord(encodeAggregatedRecord(agg)), keep);

    expect(out.events).toEqual([{ id: ok.id, idOrigin: 'producer', type: 't', ts: ok.ts, value: 1, dims: { country: 'fr' } }]);
    expect(out.poison).toEqual([objectContaining({ subSequenceNumber: 1, reason: 'invalid event: dims.device: value longer than 256 characters' })]);
  });

  it('quarantines plain garbage', () => {
    const out = decodeRecord(kinesisRecord(Buffer.from('not json')));

    expect(out.poison).toEqual([objectContaining({ subSequenceNumber: -1, reason: stringContaining('not valid JSON') })]);
  });
});

describe('statements', () => {
  it('make one upsert statement for a batch of any size that fits the request limit', () => {
    const acc = new RollupAccumulator(DEFAULT_CONFIG);
    for (let i = 0; i < 50_000; i++) acc.add({ id: String(i), idOrigin: 'producer', type: `type-${i % 50}`, ts: Date.UTC(2026, 0, 1) + (i % 10) * 60_000, value: i });

    const statements = upsertRollupStatements(acc.deltas());

    expect(statements).toHaveLength(1);
  });

  it('chunk rows so each escaped parameter stays under the 4 MiB request limit', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, pad: '"'.repeat(1000) }));

    const chunks = chunkJsonArray(rows);

    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(escapedJsonBytes(c)).toBeLessThanOrEqual(MAX_PARAMETER_BYTES);
    expect(MAX_PARAMETER_BYTES).toBeLessThan(DATA_API.maxRequestBytes);
    expect(chunks.flatMap((c) => JSON.parse(c) as unknown[])).toHaveLength(3000);
  });

  it('measure escaped sizes exactly as the SDK will send them, or above for control characters', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => {
      const actual = Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
      const measured = escapedJsonBytes(text);
      expect(measured).toBeGreaterThanOrEqual(actual);
      // eslint-disable-next-line no-control-regex -- control characters are what JSON escapes to six bytes
    if (!/[\u0000-\u001f\ud800-\udfff]/.test(text)) expect(measured).toBe(actual);
    }), { numRuns: 500 });
  });

  const oneRecord = (ids: string[]) => ({ shardId: 'shardId-000000000000', arrivalMs: Date.UTC(2026, 10, 28), ids });

  it('send a batch of event ids in one statement when it fits, and split it when multi-byte ids would not', () => {
    // 30,000 ids of 64 characters: about 2 MB of JSON text either way, 2.1 MB escaped
    // as ASCII (fits) but 5.9 MB as three-byte characters (does not).
    const ascii = Array.from({ length: 30_000 }, (_, i) => `${i}`.padStart(64, 'a'));
    const euro = Array.from({ length: 30_000 }, (_, i) => `${i}`.padStart(64, '€'));

    const one = recordEventIdsStatements([oneRecord(ascii)], 3600);
    const split = recordEventIdsStatements([oneRecord(euro)], 3600);

    expect(one).toHaveLength(1);
    expect(split.length).toBeGreaterThan(1);
    for (const { statement } of [...one, ...split]) {
      expect(escapedJsonBytes(statement.parameters[0]!.value!.stringValue!)).toBeLessThanOrEqual(MAX_PARAMETER_BYTES);
    }
  });

  it('cap rows per statement where the response could pass 1 MiB', () => {
    const keys = Array.from({ length: 4500 }, (_, i) => ({ streamArn: 's', shardId: 'h', partitionKey: `k${i}` }));
    const ids = Array.from({ length: 230_000 }, (_, i) => `id-${i}`);

    const locks = lockCheckpointsStatements(keys);
    const dedup = recordEventIdsStatements([oneRecord(ids)], 3600);

    expect(locks.map((l) => l.keys.length)).toEqual([2000, 2000, 500]);
    expect(dedup.map((d) => d.offset)).toEqual([0, 100_000, 200_000]);
  });

  it('keep a Kinesis record\'s ids, shard and arrival together across chunks, with offsets that add up', () => {
    // 60 records of 1,000 ids of 64 three-byte characters: about 11.5 MB escaped, so several chunks.
    const groups = Array.from({ length: 60 }, (_, r) => ({
      shardId: `shardId-${r % 2}`, arrivalMs: 1_700_000_000_000 + r,
      ids: Array.from({ length: 1000 }, (_, i) => `${r}-${i}`.padStart(64, '€')),
    }));

    const chunks = recordEventIdsStatements(groups, 900);

    expect(chunks.length).toBeGreaterThan(2);
    let expected = 0;
    for (const { statement, offset } of chunks) {
      const json = statement.parameters.find((p) => p.name === 'groups')!.value!.stringValue!;
      expect(escapedJsonBytes(json)).toBeLessThanOrEqual(MAX_PARAMETER_BYTES);
      const parsed = JSON.parse(json) as { o: number; h: string; a: number; i: string[] }[];
      expect(offset).toBe(expected);
      let ord = 1;
      for (const g of parsed) {
        const r = Number(g.i[0]!.replace(/^€+/, '').split('-')[0]);
        expect(g).toMatchObject({ o: ord, h: `shardId-${r % 2}`, a: 1_700_000_000_000 + r });
        ord += g.i.length;
      }
      expected += ord - 1;
    }
    expect(expected).toBe(60_000);
  });
});

describe('classifyDataApiError', () => {
  const named = (name: string, message = '') => Object.assign(new Error(message), { name });

  it.each([
    [named('DatabaseResumingException'), 'transient'],
    [named('ThrottlingException'), 'transient'],
    [named('ServiceUnavailableError'), 'transient'],
    [named('TransactionNotFoundException'), 'transient'],
    [named('DatabaseErrorException', 'ERROR: deadlock detected; SQLState: 40P01'), 'transient'],
    [named('StatementTimeoutException'), 'outcome-unknown'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'outcome-unknown'],
    [named('BadRequestException'), 'permanent'],
    [named('DatabaseErrorException', 'ERROR: column "x" does not exist'), 'permanent'],
    [named('ForbiddenException'), 'permanent'],
  ])('%s is %s', (err, kind) => {
    expect(classifyDataApiError(err)).toBe(kind);
  });
});

describe('retry budget', () => {
  it('backs off exponentially up to the cap', () => {
    const max = () => 0.999999;

    expect([1, 2, 3, 10].map((a) => retryDelayMs(DEFAULT_RETRY_POLICY, a, max))).toEqual([99, 199, 399, 4999]);
  });

  it('retries only while the reserve before the deadline stays free', () => {
    expect(canRetry(DEFAULT_RETRY_POLICY, 10_000, 1000, 2000)).toBe(true);
    expect(canRetry(DEFAULT_RETRY_POLICY, 5_000, 1000, 2000)).toBe(false);
  });
});

describe('migrations', () => {
  it('split at top-level semicolons only', () => {
    const sql = `CREATE TABLE a (x text DEFAULT ';'); -- a comment; with a semicolon
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
/* block; comment */ INSERT INTO a VALUES ('it''s; fine');
-- only a comment;`;

    expect(splitSqlStatements(sql)).toEqual([
      "CREATE TABLE a (x text DEFAULT ';')",
      '-- a comment; with a semicolon\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$',
      "/* block; comment */ INSERT INTO a VALUES ('it''s; fine')",
    ]);
  });

  it('create exactly the tables the code names', () => {
    const created = loadMigrations().flatMap((m) => m.statements)
      .map((s) => /CREATE TABLE IF NOT EXISTS (\w+)/.exec(s)?.[1]).filter(Boolean);

    expect(new Set(created)).toEqual(new Set(Object.values(TABLES).filter((t) => t !== TABLES.migrations)));
  });
});

describe('dedup configuration', () => {
  it('default to a 15-minute stream-time horizon and reject a retention shorter than the horizon', () => {
    expect(validateConfig({}).dedupHorizonSeconds).toBe(900);
    expect(() => validateConfig({ dedupHorizonSeconds: 0 })).toThrow(/dedupHorizonSeconds: must be a whole number between 1 and 604800 \(seconds of stream time/);
    expect(() => validateConfig({ dedupHorizonSeconds: 7200, checkpointRetentionSeconds: 3600 }))
      .toThrow(/checkpointRetentionSeconds: must be at least dedupHorizonSeconds \(7200\)/);
  });
});
