// End-to-end benchmark of the local stack, driven the way a user drives it: `sluice
// dev` in one process, `sluice send` of a file of N events (~140 B JSON, five types,
// two dimensions, a small payload) in another, the clock running until the rollups
// show the exact totals; then `sluice loadtest --rate R --duration D` for the
// acknowledgement latency. It measures the CPU of every process of the stack (Linux
// /proc), so it can run against any checkout: `--root DIR` benchmarks that tree's
// bin/sluice.mjs (e.g. main, for the "before" figures) with this tree's reader.
//   npm run bench:e2e [-- --events N] [-- --rate R --duration S] [-- --root DIR] [-- --send-args "--workers 1"] [-- --json]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, awsClientConfig, parseEnvFile } from '../core/index.ts';
import { QUERY_PORT_OFFSET, processTreeCpuMicros, readPartsFile } from '../local/index.ts';
import { queryRollups } from '../query/index.ts';
import { BENCH_TYPES as TYPES, benchCountPerType as countPerType, benchEventLines as makeEvents } from './benchEvents.ts';

const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const json = args.includes('--json');
const events = Number(flag('events') ?? 1_000_000);
const rate = Number(flag('rate') ?? 30_000);
const duration = Number(flag('duration') ?? 30);
const root = resolve(flag('root') ?? '.');
const skipLoadtest = args.includes('--no-loadtest');
const sendArgs = (flag('send-args') ?? '').split(' ').filter(Boolean);
const SETTLE_TIMEOUT_MS = 600_000;

interface PhaseCpu { seconds: number; byPart: Record<string, number> }

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-e2e-'));
  // `sluice dev --port N` listens on N..N+4 and N+QUERY_PORT_OFFSET.
  const port = await freePortRange(QUERY_PORT_OFFSET + 1);
  const env = { ...process.env, SLUICE_DATA_DIR: dataDir, DATABASE_URL: '', POWERTOOLS_LOG_LEVEL: 'ERROR' };
  const file = join(dataDir, 'events.ndjson');
  writeFileSync(file, makeEvents(events));
  const fileBytes = readFileSync(file).length;

  note(`starting sluice dev from ${root} on port ${port} (data in ${dataDir})`);
  const devStarted = Date.now();
  const dev = await startDev(root, dataDir, port, env);
  const startupSeconds = (Date.now() - devStarted) / 1000;
  const stackEnv = parseEnvFile(readFileSync(join(dataDir, 'env'), 'utf8'));
  const rdsData = new RDSDataClient(awsClientConfig(stackEnv, 'rdsData'));
  const target = { resourceArn: stackEnv[ENV.dbClusterArn]!, secretArn: stackEnv[ENV.dbSecretArn]!, database: stackEnv[ENV.dbName]! };
  const result: Record<string, unknown> & { send?: SendFigures; loadtest?: LoadtestFigures } = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg1m: loadavg()[0], node: process.version, shared: true },
    root, startupSeconds,
  };
  try {
    // --- send a file, until exact totals ---
    note(`sluice send of ${events} events (${(fileBytes / events).toFixed(0)} B each)`);
    const cpuBefore = stackCpu(dataDir, dev.pid!);
    const t0 = Date.now();
    const send = runCli(root, ['send', file, '--json', ...sendArgs], env);
    let sendCpuMicros = 0;
    const sendCpuWatch = setInterval(() => { sendCpuMicros = processTreeCpuMicros(send.child.pid!) ?? sendCpuMicros; }, 200);
    const sendOut = await send.done;
    clearInterval(sendCpuWatch);
    const sendSeconds = (Date.now() - t0) / 1000;
    const sendSummary = JSON.parse(sendOut.stdout.trim().split('\n').pop() ?? '{}') as { format?: string; kinesisRecords?: number; kinesisBytes?: number; workers?: number };
    if (sendOut.code !== 0) throw new Error(`sluice send exited ${sendOut.code}: ${sendOut.stderr.slice(-500)}`);
    const perType = countPerType(events);
    for (;;) {
      const counts = await Promise.all(TYPES.map((type) => queryRollups(rdsData, target, { type }).then((r) => r.totals.count)));
      if (counts.every((c, i) => c === perType[i])) break;
      if (counts.some((c, i) => c > perType[i]!)) throw new Error(`counted more than sent: ${counts.join(', ')} vs ${perType.join(', ')}`);
      if (Date.now() - t0 > SETTLE_TIMEOUT_MS) throw new Error(`no exact totals within ${SETTLE_TIMEOUT_MS / 1000} s: ${counts.join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const e2eSeconds = (Date.now() - t0) / 1000;
    const sendCpu = cpuShare(cpuBefore, stackCpu(dataDir, dev.pid!), e2eSeconds);
    sendCpu.byPart['sluice send'] = round(sendCpuMicros / 1e6 / e2eSeconds * 100);
    result.send = {
      events, eventBytes: Math.round(fileBytes / events), sendSeconds, acceptedPerSecond: Math.round(events / sendSeconds),
      exactTotalsSeconds: e2eSeconds, endToEndPerSecond: Math.round(events / e2eSeconds),
      format: sendSummary.format ?? 'kpl (main has no choice)', sendArgs, workers: sendSummary.workers, kinesisRecords: sendSummary.kinesisRecords, kinesisBytes: sendSummary.kinesisBytes,
      cpuPercentOfCore: sendCpu.byPart,
    };

    // --- load test: acknowledgement latency at a set rate ---
    if (!skipLoadtest) {
      note(`sluice loadtest --rate ${rate} --duration ${duration}`);
      const before = stackCpu(dataDir, dev.pid!);
      const t1 = Date.now();
      const lt = await runCli(root, ['loadtest', '--rate', String(rate), '--duration', String(duration), '--json', '--seed', '1'], env).done;
      const ltSeconds = (Date.now() - t1) / 1000;
      const report = JSON.parse(lt.stdout.trim().split('\n').pop() ?? '{}') as {
        sent: number; accepted: number; failed: number; achievedEventsPerSec: number; latency: { ack: { p50: number; p99: number; max: number } };
        rollups: { matched: boolean; lagMs: number | null }; sinkMetrics: Record<string, number>;
      };
      result.loadtest = {
        rate, duration, sent: report.sent, accepted: report.accepted, failed: report.failed, achievedPerSecond: Math.round(report.achievedEventsPerSec),
        ackP50Ms: Math.round(report.latency.ack.p50), ackP99Ms: Math.round(report.latency.ack.p99), ackMaxMs: Math.round(report.latency.ack.max),
        exactTotals: report.rollups.matched, totalsLagMs: report.rollups.lagMs === null ? null : Math.round(report.rollups.lagMs), throttled: report.sinkMetrics.eventsThrottled ?? 0,
        exitCode: lt.code, cpuPercentOfCore: cpuShare(before, stackCpu(dataDir, dev.pid!), ltSeconds).byPart,
      };
    }
  } finally {
    rdsData.destroy();
    await stopDev(dev);
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(readable(result) + '\n');
}

/** What the file send measured. */
interface SendFigures {
  events: number; eventBytes: number; sendSeconds: number; acceptedPerSecond: number;
  exactTotalsSeconds: number; endToEndPerSecond: number;
  format: string; kinesisRecords: number | undefined; kinesisBytes: number | undefined;
  /** What --send-args passed on, and the worker threads send says it used (none before it had them). */
  sendArgs: string[]; workers: number | undefined;
  cpuPercentOfCore: Record<string, number>;
}

/** What the load test measured. */
interface LoadtestFigures {
  rate: number; duration: number; sent: number; accepted: number; failed: number; achievedPerSecond: number;
  ackP50Ms: number; ackP99Ms: number; ackMaxMs: number; exactTotals: boolean; totalsLagMs: number | null; throttled: number;
  exitCode: number | null; cpuPercentOfCore: Record<string, number>;
}

function readable(r: { send?: SendFigures; loadtest?: LoadtestFigures }): string {
  const s = r.send!;
  const lines = [
    `e2e: ${s.events} events sent in ${Number(s.sendSeconds).toFixed(1)} s (${s.acceptedPerSecond}/s accepted, ${s.format}), exact totals after ${Number(s.exactTotalsSeconds).toFixed(1)} s: ${s.endToEndPerSecond} events/s end to end`,
    `     cpu % of a core: ${Object.entries(s.cpuPercentOfCore).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  const l = r.loadtest;
  if (l) {
    lines.push(`loadtest ${l.rate}/s for ${l.duration} s: ${l.achievedPerSecond}/s achieved, ${l.accepted}/${l.sent} accepted, ack p50 ${l.ackP50Ms} ms p99 ${l.ackP99Ms} ms, ${l.throttled} throttled, exact totals ${l.exactTotals ? `yes, ${String(l.totalsLagMs)} ms after the last ack` : 'NO'}`);
    lines.push(`     cpu % of a core: ${Object.entries(l.cpuPercentOfCore).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return lines.join('\n');
}

/** CPU (µs) of each process of the stack: its parts when it lists them, else the one `sluice dev` process with its children. */
function stackCpu(dataDir: string, devPid: number): Record<string, number> {
  const parts = readPartsFile(dataDir);
  const cpu: Record<string, number> = {};
  if (parts.length === 0) {
    cpu['stack (one process)'] = processTreeCpuMicros(devPid) ?? 0;
    return cpu;
  }
  cpu.supervisor = ownCpuMicros(devPid);
  for (const p of parts) cpu[p.name] = p.name === 'postgres' ? processTreeCpuMicros(p.pid) ?? 0 : ownCpuMicros(p.pid);
  return cpu;
}

function ownCpuMicros(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
    return ((f[11]! + f[12]!) * 1_000_000) / 100;
  } catch {
    return 0;
  }
}

function cpuShare(before: Record<string, number>, after: Record<string, number>, seconds: number): PhaseCpu {
  const byPart: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of Object.entries(after)) {
    const pct = ((v - (before[k] ?? 0)) / 1e6 / seconds) * 100;
    byPart[k] = round(pct);
    total += pct;
  }
  byPart['stack total'] = round(total);
  return { seconds, byPart };
}

const round = (x: number) => Math.round(x * 10) / 10;

function startDev(root: string, dataDir: string, port: number, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/sluice.mjs'), 'dev', '--data-dir', dataDir, '--port', String(port)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('sluice ready')) resolvePromise(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => reject(new Error(`sluice dev exited ${code}: ${out.slice(-2000)}`)));
  });
}

async function stopDev(dev: ChildProcess): Promise<void> {
  if (dev.exitCode !== null) return;
  const exited = new Promise((r) => dev.once('exit', r));
  dev.kill('SIGINT');
  await exited;
}

function runCli(root: string, argv: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [join(root, 'bin/sluice.mjs'), ...argv], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) => child.on('close', (code) => r({ code, stdout, stderr })));
  return { child, done };
}

async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => new Promise<boolean>((r) => {
      const s = net.createServer();
      s.once('error', () => r(false));
      s.listen(base + i, '127.0.0.1', () => s.close(() => r(true)));
    })));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

function note(line: string): void {
  process.stderr.write(`bench:e2e: ${line}\n`);
}

await main();
