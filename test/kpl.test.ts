import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CorruptRecordError, deaggregate, encodeAggregatedRecord, encodeCompressedRecord, recordFormat,
  type AggregatedRecord,
} from '../core/index.ts';
import { kplVectors, type KplVectorCase } from './support/sharedVectors.ts';

type VectorCase = KplVectorCase;
const vectors = { cases: kplVectors() };

/** Rebuilds the AggregatedRecord a vector's user records describe, tables in first-seen order. */
function aggregateOf(users: NonNullable<VectorCase['userRecords']>): AggregatedRecord {
  const agg: AggregatedRecord = { partitionKeyTable: [], explicitHashKeyTable: [], records: [] };
  for (const u of users) {
    let pk = agg.partitionKeyTable.indexOf(u.partitionKey);
    if (pk < 0) pk = agg.partitionKeyTable.push(u.partitionKey) - 1;
    const rec: AggregatedRecord['records'][number] = { partitionKeyIndex: pk, data: Buffer.from(u.data, 'base64') };
    if (u.explicitHashKey !== null) {
      let e = agg.explicitHashKeyTable.indexOf(u.explicitHashKey);
      if (e < 0) e = agg.explicitHashKeyTable.push(u.explicitHashKey) - 1;
      rec.explicitHashKeyIndex = e;
    }
    agg.records.push(rec);
  }
  return agg;
}

describe('KPL aggregated format against aws-kinesis-agg vectors', () => {
  const valid = vectors.cases.filter((c) => c.userRecords !== null);
  const invalid = vectors.cases.filter((c) => c.userRecords === null);

  it.each(valid.map((c) => [c.name, c] as const))('decodes %s to exactly its user records', (_name, c) => {
    const users = deaggregate(Buffer.from(c.aggregated, 'base64'), c.outerPartitionKey);
    expect(
      users.map((u) => ({
        subSequenceNumber: u.aggregated ? u.subSequenceNumber : null,
        partitionKey: u.partitionKey,
        explicitHashKey: u.explicitHashKey ?? null,
        data: u.data.toString('base64'),
      })),
    ).toEqual(c.userRecords);
  });

  it.each(valid.filter((c) => recordFormat(Buffer.from(c.aggregated, 'base64')) === 'kpl').map((c) => [c.name, c] as const))(
    'encodes %s byte for byte as the KPL does',
    (_name, c) => {
      expect(encodeAggregatedRecord(aggregateOf(c.userRecords!)).toString('base64')).toBe(c.aggregated);
    },
  );

  it.each(invalid.map((c) => [c.name, c] as const))('rejects %s as corrupt', (_name, c) => {
    expect(() => deaggregate(Buffer.from(c.aggregated, 'base64'), c.outerPartitionKey)).toThrow(CorruptRecordError);
  });
});

describe('encode then decode', () => {
  const userRecord = fc.record({
    partitionKey: fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme' }),
    explicitHashKey: fc.option(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(String), { nil: undefined }),
    data: fc.uint8Array({ maxLength: 300 }),
  });

  it.each([
    ['KPL', (a: AggregatedRecord) => encodeAggregatedRecord(a)],
    ['compressed', (a: AggregatedRecord) => encodeCompressedRecord(a)],
  ] as const)('any sequence of user records survives the %s format unchanged', (_name, encode) => {
    fc.assert(
      fc.property(fc.array(userRecord, { minLength: 1, maxLength: 40 }), (users) => {
        const agg = aggregateOf(users.map((u, i) => ({
          subSequenceNumber: i, partitionKey: u.partitionKey, explicitHashKey: u.explicitHashKey ?? null,
          data: Buffer.from(u.data).toString('base64'),
        })));
        const decoded = deaggregate(encode(agg), 'outer');
        expect(decoded.map((d) => ({ partitionKey: d.partitionKey, explicitHashKey: d.explicitHashKey, data: new Uint8Array(d.data) })))
          .toEqual(users.map((u) => ({ partitionKey: u.partitionKey, explicitHashKey: u.explicitHashKey, data: u.data })));
      }),
      { numRuns: 200 },
    );
  });

  it('flags a compressed record whose checksum does not match', () => {
    const rec = encodeCompressedRecord(aggregateOf([{ subSequenceNumber: 0, partitionKey: 'k', explicitHashKey: null, data: 'AAEC' }]));
    rec[rec.length - 1]! ^= 0xff;
    expect(() => deaggregate(rec, 'k')).toThrow(CorruptRecordError);
  });
});
