// One stack per data directory: PGlite and LevelDB each take the directory for
// themselves, so a second `sluice dev` on it must stop with a clear message rather
// than corrupt it. A lock left by a killed process is taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackLockedError } from './errors.ts';

export class StackLock {
  private constructor(private readonly file: string) {}

  static acquire(dataDir: string): StackLock {
    const file = join(dataDir, 'stack.pid');
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
    } catch {
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid !== process.pid && isAlive(pid)) {
        throw new StackLockedError(`another sluice stack (pid ${pid}) is using ${dataDir}; stop it first or pass another --data-dir`);
      }
      if (pid === process.pid) throw new StackLockedError(`this process already runs a stack on ${dataDir}`);
      writeFileSync(file, String(process.pid));
    }
    return new StackLock(file);
  }

  release(): void {
    rmSync(this.file, { force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
