// PRODUCER_DEFAULTS is the one place the producer's defaults are written: the settings
// a producer built without options runs with are exactly its values, and the table in
// producers/README.md shows exactly its values (the docs cannot drift from the code).
// producerSettings is an internal of producers/ (ProducerSettings.ts), imported directly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KiB, MiB } from '../core/index.ts';
import { PRODUCER_DEFAULTS, ShardPacker, ShardMap } from '../producers/index.ts';
import { producerSettings } from '../producers/ProducerSettings.ts';

/** The constant as `dotted.name -> value`, the way the README's table lists it. */
function flatten(o: object, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object') for (const [kk, vv] of flatten(v as object, `${prefix}${k}.`)) out.set(kk, vv);
    else out.set(`${prefix}${k}`, v);
  }
  return out;
}

/** A table cell's value: `true`, `'wait'`, `51_200`, `64 MiB`. */
function cellValue(cell: string): unknown {
  const text = cell.trim().replace(/^`|`$/g, '');
  if (text === 'true' || text === 'false') return text === 'true';
  const quoted = /^'(.*)'$/.exec(text);
  if (quoted) return quoted[1];
  const sized = /^([\d_]+) (MiB|KiB)$/.exec(text);
  if (sized) return Number(sized[1]!.replaceAll('_', '')) * (sized[2] === 'MiB' ? MiB : KiB);
  if (/^[\d_]+$/.test(text)) return Number(text.replaceAll('_', ''));
  throw new Error(`cannot read the default ${cell}`);
}

/** The rows of the table under "### Options and defaults" in producers/README.md. */
function readmeDefaults(): Map<string, unknown> {
  const readme = readFileSync(new URL('../producers/README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Options and defaults'));
  const rows = new Map<string, unknown>();
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    const m = /^\| `([\w.]+)` \| ([^|]+) \|/.exec(line);
    if (m) rows.set(m[1]!, cellValue(m[2]!));
  }
  return rows;
}

describe('PRODUCER_DEFAULTS', () => {
  it('is what producers/README.md lists, row for row', () => {
    const documented = readmeDefaults();
    expect(documented.size).toBeGreaterThan(0);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(flatten(PRODUCER_DEFAULTS)));
  });

  it('is what a producer without options runs with', () => {
    const d = PRODUCER_DEFAULTS;
    const s = producerSettings({ client: new KinesisClient({ region: 'us-east-1' }), streamName: 'events' });
    expect(s).toMatchObject({
      maxBufferTimeMs: d.maxBufferTimeMs, aggregation: d.aggregation, maxAggregateBytes: d.maxAggregateBytes,
      compressionLevel: undefined, maxRecordBytes: d.maxRecordBytes, rate: d.shardRateLimit, recordTtlMs: d.recordTtlMs,
      backoff: { ...d.backoff, jitter: 'equal' }, maxBufferedBytes: d.maxBufferedBytes, maxBufferedEvents: d.maxBufferedEvents,
      onBufferFull: d.onBufferFull, ordered: false, maxConcurrentPuts: d.maxConcurrentPuts, putTimeoutMs: d.putTimeoutMs,
    });
    const compressed = producerSettings({ client: new KinesisClient({ region: 'us-east-1' }), streamName: 'events', compression: true });
    expect(compressed).toMatchObject({ compressionLevel: d.compressionLevel, maxAggregateBytes: d.compressedMaxAggregateBytes });
  });

  it('gives ShardPacker the same packing defaults: one aggregate holds up to maxAggregateBytes', () => {
    const map = new ShardMap([{ shardId: 'shard-0', startingHashKey: 0n, endingHashKey: 2n ** 128n - 1n }]);
    const packer = new ShardPacker(map);
    for (let i = 0; i < 2_000; i++) packer.add({ type: 'page.view', payload: { text: 'x'.repeat(100) } });
    const records = packer.takeAll();
    expect(records.length).toBeGreaterThan(1);
    for (const r of records.slice(0, -1)) {
      expect(r.size).toBeLessThanOrEqual(PRODUCER_DEFAULTS.maxAggregateBytes);
      expect(r.size).toBeGreaterThan(PRODUCER_DEFAULTS.maxAggregateBytes - 300);
    }
  });

  it('cannot be changed by a caller, so one producer cannot change another\'s defaults', () => {
    expect(Object.isFrozen(PRODUCER_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(PRODUCER_DEFAULTS.backoff)).toBe(true);
    expect(Object.isFrozen(PRODUCER_DEFAULTS.shardRateLimit)).toBe(true);
  });
});
