// One stack per data directory: PGlite and LevelDB each take the directory for
// themselves, so a second `sluice dev` on it must stop with a clear message rather
// than corrupt it. The lock file names its owner by pid and the pid's start time:
// pids repeat (after a container restart the new stack may get the very pid the old
// one had, or an unrelated live process may), so a lock is held only while the
// process that wrote it is alive and is that same process; anything else is a lock
// left by a killed stack, and is taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError, StackLockedError } from './errors.ts';

export const STACK_LOCK_FILE = 'stack.pid';

/** Who wrote a lock file: `startTime` is absent in files of older releases (a bare pid). */
interface LockOwner {
  pid: number;
  startTime?: string;
}

/** Lock files this process holds: a pid that is ours holds a lock only if listed here. */
const held = new Set<string>();

export class StackLock {
  private constructor(private readonly file: string) {}

  static acquire(dataDir: string): StackLock {
    const file = join(dataDir, STACK_LOCK_FILE);
    const me: LockOwner = { pid: process.pid, startTime: processStartTime(process.pid) };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(file, JSON.stringify(me) + '\n', { flag: 'wx' });
        held.add(file);
        return new StackLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataDirError(dataDir, err as NodeJS.ErrnoException);
      }
      const owner = readOwner(file);
      if (owner && ownerRuns(owner, file)) {
        throw new StackLockedError(owner.pid === process.pid
          ? `this process already runs a stack on ${dataDir}`
          : `another sluice stack (pid ${owner.pid}) is using ${dataDir}; stop it first or pass another --data-dir`);
      }
      // Left by a stack that is gone: take it over (exclusively, on the next attempt).
      try {
        rmSync(file, { force: true });
      } catch (err) {
        throw new DataDirError(dataDir, err as NodeJS.ErrnoException);
      }
    }
    throw new StackLockedError(`another sluice stack keeps taking ${file}; stop it first or pass another --data-dir`);
  }

  release(): void {
    held.delete(this.file);
    rmSync(this.file, { force: true });
  }
}

/** The owner a lock file names, or undefined when it is gone or unreadable (a torn write). */
function readOwner(file: string): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DataDirError(file, err as NodeJS.ErrnoException);
  }
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const o = JSON.parse(text) as LockOwner;
    return Number.isInteger(o.pid) && o.pid > 0 ? { pid: o.pid, ...(typeof o.startTime === 'string' ? { startTime: o.startTime } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote the lock still runs. */
function ownerRuns(owner: LockOwner, file: string): boolean {
  if (owner.pid === process.pid) return held.has(file);
  if (!isAlive(owner.pid)) return false;
  // Same pid, another process (pid reuse): its start time differs. A lock of an older
  // release (a bare pid) is the owner's if that pid runs Node; without /proc, the
  // owner's on the safe side.
  const now = processStartTime(owner.pid);
  if (owner.startTime === undefined) return commandLine(owner.pid)?.includes('node') ?? true;
  return now === undefined || now === owner.startTime;
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process's start time in clock ticks since boot (/proc/<pid>/stat field 22), where /proc exists. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
