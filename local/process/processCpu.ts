// CPU time of a process and the children it has (Linux /proc), for a part that runs a
// server of several processes (PostgreSQL: a postmaster and one backend per
// connection) and for the benchmark. Elsewhere it reports nothing.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times: 100 on every Linux sluice runs on. */
const TICKS_PER_SECOND = 100;

/** User + system CPU, in microseconds, of `pid`, its reaped children and its live children; undefined when unknown. */
export function processTreeCpuMicros(pid: number): number | undefined {
  const own = statFields(pid);
  if (!own) return undefined;
  // utime, stime, cutime, cstime: fields 14-17 (index 11-14 after the command).
  let ticks = own[11]! + own[12]! + own[13]! + own[14]!;
  for (const entry of safeReaddir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (f && f[1] === pid) ticks += f[11]! + f[12]!;
  }
  return (ticks * 1_000_000) / TICKS_PER_SECOND;
}

/** Fields of /proc/<pid>/stat after the command name, as numbers (index 0 is the state, 1 the parent pid). */
function statFields(pid: number): number[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  } catch {
    return undefined;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
