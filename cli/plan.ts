// `sluice plan --rate N --event-bytes B [--types N] [--keys N] [--from REPORT.json] [--json]`:
// what a deployment needs at a rate past one machine (shards, consumer concurrency,
// database writers, Aurora capacity, iterator age, monthly cost), scaled from the
// per-event figures of a load-test report (`sluice loadtest --json > run.json`) or of
// the reference run, with the assumptions printed.
import { readFileSync } from 'node:fs';
import type { StackEnv } from '../core/index.ts';
import { REFERENCE_FIGURES, capacityPlan, figuresFromReport, formatPlan, type LoadTestReport } from '../loadtest/index.ts';
import { intFlag, parseFlags } from './flags.ts';
import { UsageError } from './errors.ts';

export const PLAN_USAGE = `Usage: sluice plan --rate N --event-bytes B [--types N] [--keys N] [--from REPORT.json] [--json]

Sizes a deployment for N events/s of B bytes each from measured per-event costs:
those of a load-test report (\`sluice loadtest --json > run.json\`, then --from run.json)
or, without --from, of the reference local run. Prints the assumptions with the answer.

  --rate N          events per second to plan for
  --event-bytes B   mean serialized event size
  --types N         distinct event types (default 10)
  --keys N          distinct partition keys (default 100000)
  --from FILE       a load test's --json output to take the per-event figures from
  --json            print the plan as one JSON object`;

export async function runPlan(argv: string[], _env: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseFlags(argv, {
    rate: { type: 'string' },
    'event-bytes': { type: 'string' },
    types: { type: 'string' },
    keys: { type: 'string' },
    from: { type: 'string' },
    json: { type: 'boolean' },
  }, PLAN_USAGE);
  if (values.help) {
    out.write(PLAN_USAGE + '\n');
    return 0;
  }
  const rate = intFlag(values.rate, 'rate', PLAN_USAGE, 1, 1_000_000_000);
  const eventBytes = intFlag(values['event-bytes'], 'event-bytes', PLAN_USAGE, 1, 1_048_576);
  if (rate === undefined) throw new UsageError('--rate is required', PLAN_USAGE);
  if (eventBytes === undefined) throw new UsageError('--event-bytes is required', PLAN_USAGE);
  const from = values.from as string | undefined;
  let figures = REFERENCE_FIGURES;
  if (from !== undefined) {
    let report: LoadTestReport;
    try {
      report = JSON.parse(readFileSync(from, 'utf8')) as LoadTestReport;
    } catch (err) {
      throw new UsageError(`--from ${from}: ${(err as Error).message}`, PLAN_USAGE);
    }
    try {
      figures = figuresFromReport(report, from);
    } catch (err) {
      throw new UsageError(`--from ${(err as Error).message}`, PLAN_USAGE);
    }
  }
  const plan = capacityPlan({
    eventsPerSec: rate, eventBytes,
    types: intFlag(values.types, 'types', PLAN_USAGE, 1, 1_000_000) ?? 10,
    keys: intFlag(values.keys, 'keys', PLAN_USAGE, 1, 1_000_000_000) ?? 100_000,
  }, figures);
  out.write(values.json ? JSON.stringify(plan) + '\n' : formatPlan(plan));
  return 0;
}
