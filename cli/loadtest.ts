// `sluice loadtest`: paces realistic events into the running local stack (or its
// HTTP ingest) for a set time, prints a line per second on stderr, then a summary
// (or one JSON object with --json) and optionally an HTML report. Exit 0 when every
// event was accepted and the rollups showed the exact totals in time, else 1.
import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../consumers/index.ts';
import type { StackEnv } from '../core/index.ts';
import {
  LOADTEST_DEFAULTS, LoadTestOptionError, formatSummary, parseChaos, parsePoison, parseRamp, parseSteps, progressPrinter,
  renderHtmlReport, resolveOptions, runLoadTest, type LoadTestOptions,
} from '../loadtest/index.ts';
import { TARGET_FLAGS, TARGET_USAGE, isAwsTarget, resolveTarget } from './awsTarget.ts';
import { intFlag, parseFlags } from './flags.ts';
import { UsageError } from './errors.ts';

const D = LOADTEST_DEFAULTS;
export const LOADTEST_USAGE = `Usage: sluice loadtest [--rate N | --ramp FROM:TO | --steps R1,R2,...@S] [--duration S] [--types K] [--keys K] [--payload-bytes B]
                      [--chaos db-outage@20s:10s] [--chaos consumer-crash@30s] [--poison 0.1%]
                      [--mode sluice|naive] [--compare naive]
                      [--http] [--kpl] [--report FILE.html] [--json] [--no-verify] [--settle-timeout S]
                      [--zipf X] [--seed N] [--max-in-flight N] [--allow-remote]
                      [--target local|aws] [--stack NAME]

Sends generated events to the running stack (see .sluice/env, written by \`npm start\`)
on a schedule (an open model: each event's latency runs from when it was meant to be
sent), reads what the pipeline does each second, and checks that the rollups reach the
exact totals of what was accepted. Exit 1 on shortfall, failures, lost or double-counted
events, or poison records missing from the quarantine.

  --rate N            events per second to offer (default ${D.rate})
  --ramp FROM:TO      offer a rate rising (or falling) linearly over the duration
  --steps R1,..@S     offer each rate for S seconds in turn (the duration is their sum)
  --chaos SPEC        db-outage@STARTs:LENGTHs, or consumer-crash@STARTs[:after-commit] (the aggregator's process
                      is killed inside a batch, before its commit or after it, and the stack restarts it);
                      both need \`sluice dev --faults\`; repeatable
  --poison P          mix in malformed records, P of the events (e.g. 0.1%); each must end in the quarantine
  --mode naive        send the way a team without sluice would: one PutRecord and one INSERT per event
  --compare naive     run sluice, then the naive baseline on the same schedule and seed, and report both
  --duration S        seconds of sending; stops by itself (default ${D.durationSec})
  --types K           distinct event types (default ${D.types})
  --keys K            distinct partition keys, Zipf-distributed (default ${D.keys})
  --payload-bytes B   approximate JSON payload per event (default ${D.payloadBytes})
  --zipf X            Zipf exponent of keys and types, 0 = uniform (default ${D.zipfExponent})
  --http              POST to the HTTP ingest instead of the producer SDK to Kinesis
  --kpl               put KPL aggregates instead of sluice's compressed ones (producer SDK;
                      the HTTP ingest's format is the stack's: sluice dev --ingest-kpl)
  --report FILE       write a self-contained HTML report with a chart
  --json              print one JSON object instead of the summary
  --no-verify         do not wait for the rollups
  --settle-timeout S  how long the rollups may take after the last ack (default ${D.settleTimeoutSec})
  --seed N            replay the same event mix
  --max-in-flight N   unacknowledged events at most; events owed past it are counted as shortfall (default ${D.maxInFlight})
  --allow-remote      allow endpoints that are not on this machine (loopback only by default)
${TARGET_USAGE}
                      (--target aws allows the stack's endpoints; --http requests are signed with SigV4)`;

export interface LoadtestArgs {
  options: LoadTestOptions;
  reportPath?: string;
  json: boolean;
  help: boolean;
  /** --target / --stack as given, resolved by runLoadtest. */
  target: { target?: string; stack?: string };
}

/** Flags to options; every bad value is a UsageError naming the flag (exit 2). */
export function parseLoadtestArgs(argv: string[]): LoadtestArgs {
  const { values } = parseFlags(argv, {
    rate: { type: 'string' },
    ramp: { type: 'string' },
    steps: { type: 'string' },
    chaos: { type: 'string', multiple: true },
    poison: { type: 'string' },
    mode: { type: 'string' },
    compare: { type: 'string' },
    duration: { type: 'string' },
    types: { type: 'string' },
    keys: { type: 'string' },
    'payload-bytes': { type: 'string' },
    zipf: { type: 'string' },
    http: { type: 'boolean' },
    kpl: { type: 'boolean' },
    report: { type: 'string' },
    json: { type: 'boolean' },
    'no-verify': { type: 'boolean' },
    'settle-timeout': { type: 'string' },
    seed: { type: 'string' },
    'max-in-flight': { type: 'string' },
    'allow-remote': { type: 'boolean' },
    ...TARGET_FLAGS,
  }, LOADTEST_USAGE);
  const U = LOADTEST_USAGE;
  const options: LoadTestOptions = {
    rate: intFlag(values.rate, 'rate', U, 1, 1_000_000),
    durationSec: intFlag(values.duration, 'duration', U, 1, 3600),
    types: intFlag(values.types, 'types', U, 1, 64),
    keys: intFlag(values.keys, 'keys', U, 1, 10_000_000),
    payloadBytes: intFlag(values['payload-bytes'], 'payload-bytes', U, 0, 1_000_000),
    settleTimeoutSec: intFlag(values['settle-timeout'], 'settle-timeout', U, 0, 3600),
    seed: intFlag(values.seed, 'seed', U, 0, 2 ** 31 - 1),
    maxInFlight: intFlag(values['max-in-flight'], 'max-in-flight', U, 1, 10_000_000),
    target: values.http ? 'http' : 'kinesis',
    recordFormat: values.kpl ? 'kpl' : 'compressed',
    verify: !values['no-verify'],
    // Naming a deployed stack is the explicit choice --allow-remote otherwise stands for.
    allowRemote: !!values['allow-remote'] || isAwsTarget(values, LOADTEST_USAGE),
    deployed: isAwsTarget(values, LOADTEST_USAGE),
  };
  if (values.zipf !== undefined) {
    const z = Number(values.zipf);
    if (String(values.zipf).trim() === '' || !Number.isFinite(z)) throw new UsageError(`--zipf must be a number, got "${String(values.zipf)}"`, U);
    options.zipfExponent = z;
  }
  for (const k of Object.keys(options) as (keyof LoadTestOptions)[]) if (options[k] === undefined) delete options[k];
  // The harness's own ranges (e.g. payload under the event size limit) as usage errors too.
  try {
    if (values.ramp !== undefined) options.ramp = parseRamp(String(values.ramp));
    if (values.steps !== undefined) options.steps = parseSteps(String(values.steps));
    if (values.poison !== undefined) options.poison = parsePoison(String(values.poison));
    if (values.mode !== undefined) options.mode = String(values.mode) as LoadTestOptions['mode'];
    if (values.compare !== undefined) options.compare = String(values.compare) as LoadTestOptions['compare'];
    const chaos = values.chaos as string[] | undefined;
    if (chaos?.length) options.chaos = chaos.map(parseChaos);
    if ((options.ramp || options.steps) && values.rate !== undefined) throw new LoadTestOptionError('rate', 'cannot be combined with --ramp or --steps');
    resolveOptions(options);
  } catch (err) {
    if (err instanceof LoadTestOptionError) throw new UsageError(err.message, U);
    throw err;
  }
  const reportPath = values.report === undefined ? undefined : resolve(String(values.report));
  if (reportPath !== undefined) {
    try {
      accessSync(dirname(reportPath), constants.W_OK);
    } catch {
      throw new UsageError(`--report ${String(values.report)}: directory ${dirname(reportPath)} does not exist or is not writable`, U);
    }
  }
  const target = { ...(values.target !== undefined ? { target: String(values.target) } : {}), ...(values.stack !== undefined ? { stack: String(values.stack) } : {}) };
  return { options, reportPath, json: !!values.json, help: !!values.help, target };
}

export async function runLoadtest(argv: string[], localEnv: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const args = parseLoadtestArgs(argv);
  if (args.help) {
    out.write(LOADTEST_USAGE + '\n');
    return 0;
  }
  const env = await resolveTarget(args.target, localEnv, LOADTEST_USAGE);
  const report = await runLoadTest({ ...args.options, progress: progressPrinter(process.stderr) }, env, { rollups: loadConfig() });
  if (args.reportPath) {
    writeFileSync(args.reportPath, renderHtmlReport(report));
    process.stderr.write(`report written to ${args.reportPath}\n`);
  }
  out.write(args.json ? JSON.stringify(report) + '\n' : formatSummary(report));
  return report.ok ? 0 : 1;
}
