// `sluice plan`: the capacity arithmetic over given per-event figures (shard limits,
// batches, database work, cost), and the command's output and errors. The check
// against a real local run's figures lives with the load test's stack tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runPlan } from '../cli/plan.ts';
import { UsageError } from '../cli/errors.ts';
import { MAX_DATABASE_WRITERS } from '../core/index.ts';
import { PRICES, REFERENCE_FIGURES, SHARD_LIMITS, capacityPlan, type MeasuredFigures } from '../loadtest/index.ts';

const figures: MeasuredFigures = { streamBytesPerEventByte: 1.25, recordsPerEvent: 0.01, callsPerBatch: 6, tupleWritesPerEvent: 0.5, source: 'test' };

describe('capacityPlan', () => {
  it('takes as many shards as the bytes or the records need, whichever is more', () => {
    const bytesBound = capacityPlan({ eventsPerSec: 200_000, eventBytes: 200, types: 10, keys: 1000 }, figures);
    const recordsBound = capacityPlan({ eventsPerSec: 200_000, eventBytes: 10, types: 10, keys: 1000 }, { ...figures, recordsPerEvent: 0.5 });

    expect(bytesBound.shards).toBe(Math.ceil((200_000 * 200 * 1.25) / SHARD_LIMITS.bytesPerSec)); // 48
    expect(recordsBound.shards).toBe(100); // 100,000 records/s at 1000 per shard
    // The aggregator is capped at MAX_DATABASE_WRITERS whatever the shards; the archiver is not.
    expect(bytesBound.archiverConcurrency).toBe(bytesBound.shards);
    expect(bytesBound.databaseWriters).toBe(Math.min(bytesBound.shards, MAX_DATABASE_WRITERS));
    expect(bytesBound.aggregatorConcurrency).toBe(bytesBound.databaseWriters);
  });

  it('turns full batches into Data API calls and tuple writes, and the cost per million into a month', () => {
    const p = capacityPlan({ eventsPerSec: 200_000, eventBytes: 200, types: 10, keys: 1000 }, figures);

    expect(p.eventsPerBatch).toBe(2000);
    expect(p.batchesPerSec).toBe(100);
    expect(p.dataApiCallsPerSec).toBe(600);
    expect(p.tupleWritesPerSec).toBe(100_000);
    expect(p.auroraAcu).toBe(50);
    expect(p.monthlyCostUsd).toBeCloseTo((p.cost.perMillionEventsUsd * 200_000 * 30 * 24 * 3600) / 1e6, 6);
    expect(p.cost.items.dataApiRequests).toBeCloseTo((600 / 200_000) * PRICES.dataApi.requestsPerMillion, 12);
    expect(p.assumptions.join('\n')).toContain(`as of ${PRICES.asOf}`);
  });

  it('says when the capped writers cannot keep up, and how many would', () => {
    const p = capacityPlan({ eventsPerSec: 200_000, eventBytes: 200, types: 10, keys: 1000 }, { ...figures, callsPerBatch: 10 }); // 0.2 s a batch

    expect(p.aggregatorCapacityEventsPerSec).toBe((MAX_DATABASE_WRITERS * 2000) / 0.2);
    expect(p.expectedIteratorAgeSec).toBe(Infinity); // 40,000 events/s applied of 200,000
    expect(p.writersNeeded).toBe(20);
  });

  it('uses smaller batches when a shard carries less than a batch per window', () => {
    const p = capacityPlan({ eventsPerSec: 500, eventBytes: 200, types: 1, keys: 10 }, figures);

    expect(p.shards).toBe(1);
    expect(p.eventsPerBatch).toBe(500);
    expect(p.auroraAcu).toBe(0.5);
  });
});

describe('sluice plan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-plan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (argv: string[]) => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const code = await runPlan(argv, {}, out);
    return { code, text };
  };

  it('prints the deployment for a rate with its assumptions, from the reference figures', async () => {
    const { code, text } = await run(['--rate', '200000', '--event-bytes', '200']);

    const expected = capacityPlan({ eventsPerSec: 200_000, eventBytes: 200, types: 10, keys: 100_000 }, REFERENCE_FIGURES);
    expect(code).toBe(0);
    expect(text).toContain(`kinesis          ${expected.shards} shards provisioned`);
    expect(text).toMatch(/aurora +\d/);
    expect(text).toMatch(/iterator age +(about|GROWS)/);
    expect(text).toMatch(/per month/);
    expect(text).toContain('assumptions:');
    expect(text).toContain('reference local run');
  });

  it('refuses a missing rate or a report without the figures it needs', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ accepted: 0, sinkMetrics: {}, db: {} }));

    await expect(run(['--event-bytes', '200'])).rejects.toThrowError(/--rate is required/);
    await expect(run(['--rate', '10', '--event-bytes', '200', '--from', bad])).rejects.toBeInstanceOf(UsageError);
    await expect(run(['--rate', '10', '--event-bytes', '200', '--from', join(dir, 'missing.json')])).rejects.toThrowError(/--from .*missing\.json/);
  });
});
