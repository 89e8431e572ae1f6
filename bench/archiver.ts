// Archiver benchmark: the same Lambda batches of sluice's compressed aggregates (base64
// data, as Lambda delivers them; ~140 B events as `sluice send` writes them) through
// the archiver's CPU path, archive lines from the records and Firehose records from
// the lines (archiveLinesOf + packLines; no I/O), for this tree and, beside it in the
// same run, the tree named by --baseline (e.g. an export of main). Prints one JSON
// object and a readable line; `ratio` is this tree's lines/s over the baseline's.
//   npm run bench:archiver [-- --baseline DIR] [-- --events N] [-- --rounds R]
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { KinesisStreamRecord } from 'aws-lambda';
import { encodeCompressedRecord, normalizeEvent, serializeEvent } from '../core/index.ts';
import * as current from '../consumers/archiver/index.ts';
import { seededRandom } from '../loadtest/index.ts';
import { kinesisRecord } from '../test/support/kinesisRecords.ts';

type ArchiverPath = Pick<typeof current, 'archiveLinesOf' | 'packLines'>;

const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const eventCount = Number(flag('events') ?? 200_000);
const rounds = Number(flag('rounds') ?? 5);
const baselineDir = flag('baseline');
const EVENTS_PER_RECORD = 1_500; // a 256 KiB compressed aggregate of ~170 B events
const BATCH_RECORDS = 100; // the local stack's archiver batch size

/** Events as bench:e2e writes them, after the producer: id, idOrigin, ts, value, two dims, a small payload. */
function makeRecords(n: number): KinesisStreamRecord[] {
  const random = seededRandom(42);
  const types = ['bench.page_view', 'bench.click', 'bench.order', 'bench.signup', 'bench.search'];
  const countries = ['JP', 'US', 'DE', 'FR', 'BR', 'IN'];
  const devices = ['ios', 'android', 'web'];
  const records: KinesisStreamRecord[] = [];
  for (let i = 0; i < n; i += EVENTS_PER_RECORD) {
    const data = [];
    for (let j = i; j < Math.min(n, i + EVENTS_PER_RECORD); j++) {
      data.push(serializeEvent(normalizeEvent({
        type: types[j % types.length]!, ts: 1_764_338_400_000 + j,
        dims: { country: countries[Math.floor(random() * countries.length)]!, device: devices[Math.floor(random() * devices.length)]! },
        value: 1 + Math.floor(random() * 100), payload: { ref: Math.floor(random() * 36 ** 8).toString(36), n: Math.floor(random() * 1e6) },
      })));
    }
    const agg = encodeCompressedRecord({ partitionKeyTable: ['k'], explicitHashKeyTable: [], records: data.map((d) => ({ partitionKeyIndex: 0, data: d })) });
    records.push(kinesisRecord({ data: agg, sequenceNumber: String(49_000_000_000n + BigInt(records.length)), partitionKey: `sluice-lane-${records.length % 16}` }));
  }
  return records;
}

/** Lines per second through `path`, best of `rounds`, and the bytes it packed (their MD5: the same for both trees, or the bench says so). */
function measure(path: ArchiverPath, records: KinesisStreamRecord[]): { linesPerSecond: number; cpuSecondsPerMillion: number; packedBytes: number; md5: string } {
  let best = Infinity;
  let packedBytes = 0;
  let lines = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    packedBytes = 0;
    lines = 0;
    for (let b = 0; b < records.length; b += BATCH_RECORDS) {
      const batch = records.slice(b, b + BATCH_RECORDS);
      const events = [];
      for (let i = 0; i < batch.length; i++) events.push(...path.archiveLinesOf(batch[i]!, i).events);
      for (const p of path.packLines(events)) packedBytes += p.data.length;
      lines += events.length;
    }
    best = Math.min(best, performance.now() - t0);
  }
  // Outside the clock: what was packed, to compare the trees byte for byte.
  const md5 = createHash('md5');
  for (let b = 0; b < records.length; b += BATCH_RECORDS) {
    const batch = records.slice(b, b + BATCH_RECORDS);
    for (const p of path.packLines(batch.flatMap((r, i) => path.archiveLinesOf(r, i).events))) md5.update(p.data);
  }
  return { linesPerSecond: Math.round(lines / (best / 1000)), cpuSecondsPerMillion: Math.round((best / 1000) * (1e6 / lines) * 100) / 100, packedBytes, md5: md5.digest('hex') };
}

const records = makeRecords(eventCount);
const result: Record<string, unknown> = { events: eventCount, rounds, current: measure(current, records) };
if (baselineDir) {
  const baseline = await import(pathToFileURL(resolve(baselineDir, 'consumers/archiver/index.ts')).href) as ArchiverPath;
  const b = measure(baseline, records);
  const c = result.current as ReturnType<typeof measure>;
  result.baseline = { dir: resolve(baselineDir), ...b };
  result.ratio = Math.round((c.linesPerSecond / b.linesPerSecond) * 100) / 100;
  result.sameBytes = b.md5 === c.md5;
}
process.stdout.write(JSON.stringify(result) + '\n');
const c = result.current as ReturnType<typeof measure>;
const b = result.baseline as ReturnType<typeof measure> | undefined;
process.stdout.write(`archiver lines: ${c.linesPerSecond}/s (${c.cpuSecondsPerMillion} CPU-s per million)`
  + (b ? ` vs baseline ${b.linesPerSecond}/s (${b.cpuSecondsPerMillion}), x${String(result.ratio)}, same bytes: ${result.sameBytes ? 'yes' : 'NO'}` : '') + '\n');
