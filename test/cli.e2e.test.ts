// The two-command promise, as a user lives it: `sluice dev` in one process, `sluice
// send` and `sluice query` in others, a kill -9 in the middle, and exact totals after.
// The stack runs each part in a process of its own: a kill -9 of `sluice dev` must
// leave none of them (nor PostgreSQL) running, and no lock behind.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedMinuteRollups, makeEvents } from './support/events.ts';
import { freePortRange, kill9, runCli, startCli } from './support/cli.ts';
import { processAlive, until } from './support/processes.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
const env = { SLUICE_DATA_DIR: dataDir, DATABASE_URL: '' };
const running: ChildProcess[] = [];
/** The stack restarted after the kill -9, which later tests use and the last one stops. */
let second: Awaited<ReturnType<typeof startCli>>;

afterAll(async () => {
  await Promise.all(running.map(kill9));
  // The stack's parts stop on their own once their parent is gone, and may still be
  // writing (PostgreSQL's shutdown) while the directory is removed: retry until quiet.
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
});

type TypeAnswer = { rows: { bucket: string; count: number; sum: number; min: number; max: number }[]; totals: { count: number; sum: number } };

/** The type's section of `sluice query --format json`; empty while the type has no rows yet. */
async function queryJson(type: string): Promise<TypeAnswer> {
  const r = await runCli(['query', '--type', type, '--format', 'json'], { env });
  if (r.code === 2 && /no rows of type/.test(r.stderr)) return { rows: [], totals: { count: 0, sum: 0 } };
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { results: TypeAnswer[] }).results[0]!;
}

describe('sluice CLI against `sluice dev`', () => {
  it('keeps every accepted event through a kill -9 and counts each exactly once', async () => {
    // base..base+3, and base+6 for the query API.
    const port = await freePortRange(7);
    const first = await startCli(['dev', '--data-dir', dataDir, '--port', String(port)], 'sluice ready', { env });
    running.push(first.child);
    expect(first.output()).toContain(`AWS_ENDPOINT_URL_KINESIS=http://127.0.0.1:${port}`);

    const events = makeEvents(3000, { seed: 7 });
    const file = join(dataDir, 'events.ndjson');
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const sent = await runCli(['send', file], { env });
    expect(sent.stdout).toContain('accepted 3000, rejected 0');
    expect(sent.stdout).toMatch(/format compressed: \d+ Kinesis records/);
    expect(sent.code).toBe(0);

    const parts = JSON.parse(readFileSync(join(dataDir, 'parts.json'), 'utf8')) as { name: string; pid: number }[];
    expect(parts.map((p) => p.name).sort()).toEqual(['aggregator', 'archiver', 'database', 'firehose', 'ingest', 'kinesis', 'postgres']);
    expect(parts.every((p) => processAlive(p.pid))).toBe(true);

    await kill9(first.child); // consumers are mid-stream: some batches applied, some not
    for (const p of parts) await until(() => !processAlive(p.pid), `${p.name} (pid ${p.pid}) gone after kill -9 of sluice dev`);
    second = await startCli(['dev', '--data-dir', dataDir, '--port', String(port)], 'sluice ready', { env });
    running.push(second.child);

    for (const [type, byBucket] of expectedMinuteRollups(events)) {
      const want = [...byBucket].sort(([a], [b]) => a.localeCompare(b)).map(([bucket, r]) => ({ bucket, ...r }));
      const wantCount = want.reduce((n, r) => n + r.count, 0);
      let got = await queryJson(type);
      for (let i = 0; i < 120 && got.totals.count < wantCount; i++) {
        await new Promise((r) => setTimeout(r, 500));
        got = await queryJson(type);
      }
      expect(got.rows.map(({ bucket, count, min, max }) => ({ bucket, count, min, max })))
        .toEqual(want.map(({ bucket, count, min, max }) => ({ bucket, count, min, max })));
      got.rows.forEach((row, i) => expect(row.sum).toBeCloseTo(want[i]!.sum, 6));
      expect(got.totals.count).toBe(wantCount);
    }
  });

  it('reports rejected lines with their reason and exits 1, sending the valid ones', async () => {
    const input = ['{"type":"ok_event"}', '{"type":"bad type"}', 'not json', '{"type":"ok_event","value":2}'].join('\n');
    const r = await runCli(['send', '-'], { env, input });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('accepted 2, rejected 2');
    expect(r.stderr).toMatch(/rejected line 2: .*type/);
    expect(r.stderr).toMatch(/rejected line 3: not valid JSON/);
  });

  it('puts KPL aggregates with --kpl, and says so', async () => {
    const input = ['{"type":"kpl_event","value":1}', '{"type":"kpl_event","value":2}'].join('\n');
    const r = await runCli(['send', '-', '--kpl', '--json'], { env, input });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { accepted: number; rejected: number; format: string; kinesisRecords: number };
    expect(summary).toMatchObject({ accepted: 2, rejected: 0, format: 'kpl' });
    expect(summary.kinesisRecords).toBeGreaterThanOrEqual(1); // one aggregate per shard the two events landed on
  });

  it('stops every part on Ctrl-C and leaves nothing that would hold the data directory', async () => {
    const secondParts = JSON.parse(readFileSync(join(dataDir, 'parts.json'), 'utf8')) as { name: string; pid: number }[];
    const exited = new Promise((r) => second.child.once('exit', r));
    second.child.kill('SIGINT');
    await exited;
    expect(secondParts.filter((p) => processAlive(p.pid))).toEqual([]);
    expect(existsSync(join(dataDir, 'stack.pid'))).toBe(false);
    expect(existsSync(join(dataDir, 'parts.json'))).toBe(false);
    expect(second.output()).toContain('sluice: stopped');
  });

  it('names a wrong flag and exits 2', async () => {
    const r = await runCli(['query', '--typo', 'x'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/typo/);
  });
});
