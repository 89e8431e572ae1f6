import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { KinesisServer } from '../local/index.ts';
import { EventSourceRunner } from '../local/runner/index.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A runner in a child process that appends every record it is given to `out`, one line each. */
function childRunner(dir: string, endpoint: string, checkpointPath: string, out: string): ChildProcess {
  const script = join(dir, 'runner.mts');
  writeFileSync(script, `import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EventSourceRunner } from ${JSON.stringify(resolve('local/runner/index.ts'))};
// The script lives in a temp directory: resolve the SDK from the project.
const { KinesisClient } = createRequire(${JSON.stringify(resolve('package.json'))})('@aws-sdk/client-kinesis');
const kinesis = new KinesisClient({ endpoint: ${JSON.stringify(endpoint)}, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const runner = new EventSourceRunner({
  kinesis, streamName: 'events', functionName: 'fn', batchSize: 25, pollIntervalMs: 200,
  checkpointPath: ${JSON.stringify(checkpointPath)},
  handler: async (event: { Records: { kinesis: { data: string } }[] }) => {
    appendFileSync(${JSON.stringify(out)}, event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString() + '\\n').join(''));
    await new Promise((ok) => setTimeout(ok, 5));
  },
});
runner.start();
`);
  return spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'inherit', 'inherit'] });
}

const lineCount = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

describe('local event source runner across a kill', () => {
  it('goes on from its checkpoint after SIGKILL: nothing lost, at most the batch in flight delivered again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-runner-kill-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const server = await KinesisServer.start({ streams: [{ name: 'events', shardCount: 2 }], shardWriteLimits: false });
    cleanups.push(() => server.close());
    const kinesis = new KinesisClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const sent = Array.from({ length: 2000 }, (_, i) => `r${i}`);
    for (let i = 0; i < sent.length; i += 500) {
      await kinesis.send(new PutRecordsCommand({ StreamName: 'events', Records: sent.slice(i, i + 500).map((d, j) => ({ Data: Buffer.from(d), PartitionKey: `k${i + j}` })) }));
    }
    const checkpointPath = join(dir, 'fn.json');
    const firstOut = join(dir, 'first.txt');
    const child = childRunner(dir, server.endpoint, checkpointPath, firstOut);
    cleanups.push(() => { child.kill('SIGKILL'); });
    let exited = false;
    child.once('exit', () => { exited = true; });
    while (lineCount(firstOut) < 400) {
      if (exited) throw new Error('the child runner exited before it was killed');
      await new Promise((ok) => setTimeout(ok, 10));
    }

    child.kill('SIGKILL');
    while (!exited) await new Promise((ok) => setTimeout(ok, 10));
    const first = readFileSync(firstOut, 'utf8').split('\n').filter(Boolean);
    const second: string[] = [];
    const runner = new EventSourceRunner({
      kinesis, streamName: 'events', functionName: 'fn', batchSize: 25, pollIntervalMs: 200, checkpointPath, log: () => {},
      handler: async (event: { Records: { kinesis: { data: string } }[] }) => { second.push(...event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString())); },
    });
    cleanups.push(() => runner.stop());
    runner.start();
    await runner.waitIdle();

    expect(first.length).toBeLessThan(sent.length);
    expect(new Set([...first, ...second])).toEqual(new Set(sent));
    const repeated = second.filter((d) => first.includes(d));
    // Each of the two shards can have had one batch delivered but not yet checkpointed.
    expect(repeated.length).toBeLessThanOrEqual(2 * 25);
    expect(second.length - repeated.length).toBe(sent.length - first.length);
  });
});
