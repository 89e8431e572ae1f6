// The local stack's process layout, in-process through startStack: every part is a
// process of its own, a part that dies is reported (so `sluice dev` stops the rest
// and exits 1), and stopping leaves none of them, nor PostgreSQL, running.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startStack, type LocalStack } from '../local/index.ts';
import { processAlive, until } from './support/processes.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-stack-processes-'));
let stack: LocalStack | undefined;
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('local stack processes', () => {
  it('reports a part that dies, and stopping the rest leaves no process behind', async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    stack = await startStack({ dataDir });
    const listed = JSON.parse(readFileSync(join(dataDir, 'parts.json'), 'utf8')) as { name: string; pid: number }[];
    const pids = new Set([process.pid, ...listed.map((p) => p.pid)]);
    const archiver = stack.parts.find((p) => p.name === 'archiver')!;

    process.kill(archiver.pid, 'SIGKILL');
    const reason = await stack.failed;
    await stack.stop();

    expect(pids.size).toBe(listed.length + 1); // every part, and PostgreSQL, in a process other than this one
    expect(reason).toMatch(/^archiver \(pid \d+\) exited$/);
    for (const p of listed) await until(() => !processAlive(p.pid), `${p.name} (pid ${p.pid}) stopped`);
  });
});
