// `sluice query --type T [--from ISO] [--to ISO] [--format table|json]`: prints the
// rollups of one event type, per bucket, with totals. JSON output is one object
// with `rows` (bucket, count, sum, min, max) and `totals` (count, sum).
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, awsClientConfig, requireEnv, type StackEnv } from '../core/index.ts';
import { loadConfig } from '../consumers/index.ts';
import { queryRollups, QueryError, parseTime } from '../query/index.ts';
import type { RollupResult } from '../query/index.ts';
import { TARGET_FLAGS, TARGET_USAGE, resolveTarget } from './awsTarget.ts';
import { intFlag, parseFlags } from './flags.ts';
import { UsageError } from './errors.ts';

const USAGE = `Usage: sluice query --type T [--from ISO] [--to ISO] [--format table|json]
                    [--rollup NAME] [--window SECONDS] [--group-by DIM,...] [--dim NAME=VALUE ...]
                    [--config FILE] [--target local|aws] [--stack NAME]

Prints the rollups of event type T per bucket (default: per minute), then totals.
--from is inclusive, --to exclusive (ISO-8601, e.g. 2026-11-28T14:00:00Z).
--group-by and --dim accept only dimensions the rollup groups by (sluice.config.json).
${TARGET_USAGE}`;

export async function runQuery(argv: string[], localEnv: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseFlags(argv, {
    type: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string' },
    rollup: { type: 'string' },
    window: { type: 'string' },
    'group-by': { type: 'string' },
    dim: { type: 'string', multiple: true },
    config: { type: 'string' },
    ...TARGET_FLAGS,
  }, USAGE);
  if (values.help) {
    out.write(USAGE + '\n');
    return 0;
  }
  const type = values.type as string | undefined;
  if (!type) throw new UsageError('--type is required', USAGE);
  const env = await resolveTarget(values, localEnv, USAGE);
  const format = (values.format as string | undefined) ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, got "${format}"`, USAGE);
  const dims: Record<string, string> = {};
  for (const d of (values.dim as string[] | undefined) ?? []) {
    const eq = d.indexOf('=');
    if (eq <= 0) throw new UsageError(`--dim must look like NAME=VALUE, got "${d}"`, USAGE);
    dims[d.slice(0, eq)] = d.slice(eq + 1);
  }
  const groupBy = values['group-by'] ? (values['group-by'] as string).split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const window = intFlag(values.window, 'window', USAGE, 1, 86_400);

  let result: RollupResult;
  const client = new RDSDataClient(awsClientConfig(env, 'rdsData'));
  try {
    const config = loadConfig(values.config as string | undefined);
    const target = {
      resourceArn: requireEnv(env, ENV.dbClusterArn),
      secretArn: requireEnv(env, ENV.dbSecretArn),
      database: requireEnv(env, ENV.dbName),
    };
    // Bad dates are usage errors: check them before any call.
    if (values.from) parseTime(values.from as string, 'from');
    if (values.to) parseTime(values.to as string, 'to');
    result = await queryRollups(client, target, {
      type, config, dims,
      ...(values.from ? { from: values.from as string } : {}),
      ...(values.to ? { to: values.to as string } : {}),
      ...(values.rollup ? { rollup: values.rollup as string } : {}),
      ...(window !== undefined ? { window } : {}),
      ...(groupBy ? { groupBy } : {}),
    });
  } catch (err) {
    if (err instanceof QueryError) throw new UsageError(err.message, USAGE);
    throw err;
  } finally {
    client.destroy();
  }

  if (format === 'json') {
    out.write(JSON.stringify(toJson(result)) + '\n');
  } else {
    out.write(toTable(result, type));
  }
  return 0;
}

function toJson(r: RollupResult) {
  return {
    rows: r.rows.map((row) => ({
      bucket: row.bucket, count: row.count, sum: row.sum, min: row.min, max: row.max,
      ...(row.dims ? { dims: row.dims } : {}),
      ...(row.distinct !== undefined ? { distinct: row.distinct } : {}),
    })),
    totals: { count: r.totals.count, sum: r.totals.sum, ...(r.totals.distinct !== undefined ? { distinct: r.totals.distinct } : {}) },
  };
}

function toTable(r: RollupResult, type: string): string {
  const dimNames = r.rows[0]?.dims ? Object.keys(r.rows[0].dims) : [];
  const hasDistinct = r.totals.distinct !== undefined;
  const header = ['bucket', ...dimNames, 'count', 'sum', 'min', 'max', ...(hasDistinct ? ['distinct'] : [])];
  const body = r.rows.map((row) => [
    row.bucket, ...dimNames.map((d) => row.dims?.[d] ?? '-'), String(row.count), row.sumExact, String(row.min), String(row.max),
    ...(hasDistinct ? [String(row.distinct ?? 0)] : []),
  ]);
  const totals = ['total', ...dimNames.map(() => ''), String(r.totals.count), r.totals.sumExact,
    r.totals.min === null ? '-' : String(r.totals.min), r.totals.max === null ? '-' : String(r.totals.max),
    ...(hasDistinct ? [String(r.totals.distinct)] : [])];
  const all = [header, ...body, totals];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const numeric = (i: number) => i > dimNames.length;
  const line = (row: string[]) => row.map((c, i) => (numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const title = `${type}: rollup ${r.rollup}, ${r.window} s buckets, ${r.rows.length} row${r.rows.length === 1 ? '' : 's'}\n`;
  // A bar of each row's count beside it: the shape of the traffic at a glance.
  const maxCount = Math.max(0, ...r.rows.map((row) => row.count));
  const bars = r.rows.map((row) => countBar(row.count, maxCount));
  const withBar = (text: string, bar: string) => (bar ? `${text}  ${bar}` : text);
  return title + [line(header), rule, ...body.map((row, i) => withBar(line(row), bars[i]!)), rule, line(totals)].join('\n') + '\n';
}

const BAR_WIDTH = 24;
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of `count` against `max`, in eighths of a character. */
export function countBar(count: number, max: number): string {
  if (max <= 0 || count <= 0) return '';
  const eighths = Math.max(1, Math.round((count / max) * BAR_WIDTH * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}
