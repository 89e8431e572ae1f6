// The local stack's process layout, in-process through startStack: every part is a
// process of its own, a consumer whose process dies is restarted (with a count and a
// log line) and one that keeps dying is given up on and reported (so `sluice dev`
// stops the rest and exits 1), and stopping leaves none of them, nor PostgreSQL, running.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV } from '../core/index.ts';
import { readPartsFile, startStack, type LocalStack } from '../local/index.ts';
import { processAlive, until } from './support/processes.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-stack-processes-'));
let stack: LocalStack | undefined;
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('local stack processes', () => {
  it('restarts a consumer that dies, gives up on one that keeps dying, and stopping leaves no process behind', async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    const log: string[] = [];
    stack = await startStack({ dataDir, log: (l) => log.push(l) });
    const listed = JSON.parse(readFileSync(join(dataDir, 'parts.json'), 'utf8')) as { name: string; pid: number }[];
    const pids = new Set([process.pid, ...listed.map((p) => p.pid)]);
    const archiver = () => stack!.parts.find((p) => p.name === 'archiver')!;
    const first = archiver().pid;

    process.kill(first, 'SIGKILL');
    await until(() => stack!.runners.archiver.restarts === 1 && stack!.runners.archiver.running, 'the archiver restarted');

    expect(archiver().pid).not.toBe(first);
    expect(readPartsFile(dataDir).find((p) => p.name === 'archiver')!.pid).toBe(archiver().pid);
    expect(log).toContain(`archiver (pid ${first}) exited (SIGKILL); restarting it (restart 1)`);
    // The control API lists it with its restart; without --faults it refuses to crash a consumer.
    const control = stack.env[ENV.controlUrl]!;
    const listing = await (await fetch(`${control}/_sluice/parts`)).json() as { parts: { name: string; pid: number; restarts: number; consumer: boolean }[] };
    expect(listing.parts.find((p) => p.name === 'archiver')).toEqual({ name: 'archiver', pid: archiver().pid, running: true, restarts: 1, consumer: true });
    expect(listing.parts.find((p) => p.name === 'kinesis')).toMatchObject({ restarts: 0, consumer: false });
    const refused = await fetch(`${control}/_sluice/faults/consumer-crash`, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(404);
    expect(await refused.json()).toEqual({ error: 'fault injection is off: start the stack with `sluice dev --faults`' });
    await stack.runners.archiver.waitIdle(); // the new process serves requests

    // Three more deaths within the minute: the fourth is one too many.
    const killed = [first];
    for (let i = 2; i <= 4; i++) {
      const pid = archiver().pid;
      killed.push(pid);
      process.kill(pid, 'SIGKILL');
      if (i < 4) await until(() => stack!.runners.archiver.restarts === i && stack!.runners.archiver.running, `restart ${i}`);
    }
    const reason = await stack.failed;
    await stack.stop();

    expect(pids.size).toBe(listed.length + 1); // every part, and PostgreSQL, in a process other than this one
    expect(reason).toBe(`archiver (pid ${killed[3]}) exited (SIGKILL), 4 times in 60 s: given up, not restarted`);
    expect(stack.runners.archiver.running).toBe(false);
    for (const p of [...listed, ...killed.map((pid) => ({ name: 'archiver', pid }))]) await until(() => !processAlive(p.pid), `${p.name} (pid ${p.pid}) stopped`);
  });
});
