// `sluice send` benchmark: the CPU `sluice send` spends on a file of N benchmark events
// (bench/benchEvents.ts) into a local Kinesis server with the stack's 4 shards and
// real write limits, for this tree and, in the same run, the tree named by --baseline
// (e.g. an export of main), alternating, best of R rounds each. CPU-seconds per
// million events (user + system of the send process and its threads) move far less
// with the machine's other load than wall time. Prints one JSON object and a
// readable line.
//   npm run bench:send [-- --baseline DIR] [-- --events N] [-- --rounds R] [-- --args "--workers 1"]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RESOURCE_NAMES } from '../core/index.ts';
import { KinesisServer } from '../local/index.ts';
import { benchEventLines } from './benchEvents.ts';

const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const events = Number(flag('events') ?? 200_000);
const rounds = Number(flag('rounds') ?? 3);
const baselineDir = flag('baseline');
const extraArgs = (flag('args') ?? '').split(' ').filter(Boolean);

interface Run { cpuSecondsPerMillion: number; wallSeconds: number; eventsPerSecond: number; summary: Record<string, unknown> }

/** The CPU of this process's reaped children (cutime + cstime), in seconds. */
function childrenCpuSeconds(): number {
  const text = readFileSync('/proc/self/stat', 'latin1');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  return (f[13]! + f[14]!) / 100;
}

async function sendOnce(root: string, file: string, endpoint: string, argv: string[]): Promise<Run> {
  const env = {
    ...process.env, AWS_ENDPOINT_URL_KINESIS: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y',
    SLUICE_STREAM_NAME: RESOURCE_NAMES.stream, SLUICE_DATA_DIR: '',
  };
  const cpu0 = childrenCpuSeconds();
  const t0 = Date.now();
  const child = spawn(process.execPath, [join(root, 'bin/sluice.mjs'), 'send', file, '--json', ...argv], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const wallSeconds = (Date.now() - t0) / 1000;
  const cpu = childrenCpuSeconds() - cpu0;
  if (code !== 0) throw new Error(`sluice send (${root}) exited ${code}: ${stderr.slice(-1000)}`);
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  if (summary.accepted !== events) throw new Error(`sluice send (${root}) accepted ${String(summary.accepted)} of ${events}`);
  return { cpuSecondsPerMillion: Math.round((cpu * 1e6 / events) * 100) / 100, wallSeconds, eventsPerSecond: Math.round(events / wallSeconds), summary };
}

const best = (runs: Run[]) => runs.reduce((a, b) => (b.cpuSecondsPerMillion < a.cpuSecondsPerMillion ? b : a));

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-send-'));
const file = join(dir, 'events.ndjson');
writeFileSync(file, benchEventLines(events));
const server = await KinesisServer.start({ streams: [{ name: RESOURCE_NAMES.stream, shardCount: 4 }] });
const trees = [{ name: 'current', root: resolve('.'), argv: extraArgs }, ...(baselineDir ? [{ name: 'baseline', root: resolve(baselineDir), argv: [] }] : [])];
const runs: Record<string, Run[]> = {};
try {
  for (let r = 0; r < rounds; r++) {
    for (const t of trees) (runs[t.name] ??= []).push(await sendOnce(t.root, file, server.endpoint, t.argv));
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
const result: Record<string, unknown> = { events, rounds };
for (const t of trees) {
  const b = best(runs[t.name]!);
  result[t.name] = { root: t.root, argv: t.argv, cpuSecondsPerMillion: b.cpuSecondsPerMillion, wallSeconds: b.wallSeconds, eventsPerSecond: b.eventsPerSecond, format: b.summary.format, allCpuSecondsPerMillion: runs[t.name]!.map((x) => x.cpuSecondsPerMillion) };
}
const c = result.current as { cpuSecondsPerMillion: number; eventsPerSecond: number };
const base = result.baseline as { cpuSecondsPerMillion: number; eventsPerSecond: number } | undefined;
if (base) result.cpuRatio = Math.round((base.cpuSecondsPerMillion / c.cpuSecondsPerMillion) * 100) / 100;
process.stdout.write(JSON.stringify(result) + '\n');
process.stdout.write(`sluice send of ${events} events: ${c.cpuSecondsPerMillion} CPU-s per million, ${c.eventsPerSecond} events/s`
  + (base ? ` vs baseline ${base.cpuSecondsPerMillion} CPU-s per million, ${base.eventsPerSecond} events/s (x${String(result.cpuRatio)} less CPU)` : '') + '\n');
