// Whether a process id still names a live process running a given program: used to
// tell what a stack killed earlier left behind from a process that merely reuses
// its pid.
import { existsSync, readFileSync } from 'node:fs';

/**
 * True when `pid` is alive and, where /proc exists, its command line contains
 * `program` (a zombie's is empty, so an exited process nobody reaped is not live).
 */
export function isLiveProcess(pid: number, program: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(program);
  } catch {
    return !existsSync('/proc/self');
  }
}
