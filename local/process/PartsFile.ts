// `<dataDir>/parts.json`: the processes of the running stack. A stack killed with
// kill -9 leaves its parts stopping on their own (they see the IPC channel close);
// the next start on the directory waits for them to finish before it opens the
// stream's and the database's files, and ends any that hang.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLiveProcess } from './liveProcess.ts';
import { sleep } from '../../core/index.ts';

const FILE = 'parts.json';
const LEFTOVER_WAIT_MS = 45_000;

export interface PartProcess { name: string; pid: number }

export function writePartsFile(dataDir: string, parts: PartProcess[]): void {
  const file = join(dataDir, FILE);
  writeFileSync(file + '.tmp', JSON.stringify(parts, null, 2) + '\n');
  renameSync(file + '.tmp', file);
}

export function removePartsFile(dataDir: string): void {
  rmSync(join(dataDir, FILE), { force: true });
}

export function readPartsFile(dataDir: string): PartProcess[] {
  try {
    return JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as PartProcess[];
  } catch {
    return [];
  }
}

/**
 * Waits until every part a previous stack left on `dataDir` has exited; kills those
 * still there after 45 s. (A PostgreSQL server left running is stopped by
 * EmbeddedPostgres when it starts on the same directory.)
 */
export async function waitForLeftoverParts(dataDir: string, log: (line: string) => void): Promise<void> {
  const left = readPartsFile(dataDir).filter((p) => p.name !== 'postgres' && isPart(p.pid));
  if (left.length === 0) return;
  log(`waiting for ${left.map((p) => `${p.name} (pid ${p.pid})`).join(', ')} of the previous stack to stop`);
  const deadline = Date.now() + LEFTOVER_WAIT_MS;
  while (left.some((p) => isPart(p.pid)) && Date.now() < deadline) await sleep(100);
  for (const p of left) if (isPart(p.pid)) process.kill(p.pid, 'SIGKILL');
}

/** A live process that is a stack part (where /proc tells; a recycled pid is left alone). */
const isPart = (pid: number) => isLiveProcess(pid, 'partMain');
