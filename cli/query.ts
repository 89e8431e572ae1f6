// `sluice query`: the query engine on the command line. Its flags are the HTTP API's
// parameters (query/parameters.ts) plus --format and --config; the answer prints as
// a table that fits 80 columns, CSV, or the API's JSON.
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, awsClientConfig, requireEnv, type StackEnv } from '../core/index.ts';
import { loadConfig } from '../consumers/index.ts';
import { executeQuery, parseQueryParameters, QUERY_PARAMETERS, QueryError, planQuery } from '../query/index.ts';
import { TARGET_FLAGS, TARGET_USAGE, resolveTarget } from './awsTarget.ts';
import { parseFlags } from './flags.ts';
import { UsageError } from './errors.ts';
import { formatQueryResult, QUERY_FORMATS, type QueryFormat } from './queryFormats.ts';

const flagLine = QUERY_PARAMETERS.map((p) => `[--${p.flag} ${p.name === 'where' ? 'DIM=VALUE' : p.flag.toUpperCase()}${p.repeatable ? ' ...' : ''}]`);

/** Words of `text` in lines of at most `width`, each after `indent` spaces but the first. */
function wrapText(text: string, indent: number, width = 80, firstIndent = indent): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && (lines.length ? indent : firstIndent) + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

const option = (flag: string, text: string) => `  --${flag.padEnd(10)}${wrapText(text, 14)}`;

const USAGE = `Usage: sluice query --type T ${wrapText([...flagLine.slice(1), '[--format table|json|csv] [--config FILE] [--target local|aws] [--stack NAME]'].join(' '), 20, 80, 29)}

Prints the rollups of one or more event types per bucket, with totals.
${QUERY_PARAMETERS.map((p) => option(p.flag, p.description)).join('\n')}
${option('format', 'table (default; fits 80 columns), json (what GET /v1/query returns) or csv')}
${option('config', 'the rollup configuration (default ./sluice.config.json, or every type per minute)')}
${TARGET_USAGE}

Examples:
  sluice query --type page_view --from -1h --group-by country
  sluice query --type order --from -1d --bucket 5m --format csv
  sluice query --type page_view --from -7d --bucket 1d --group-by path --top 10`;

export async function runQuery(argv: string[], localEnv: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseFlags(argv, {
    ...Object.fromEntries(QUERY_PARAMETERS.map((p) => [p.flag, { type: 'string' as const, multiple: p.repeatable }])),
    format: { type: 'string' },
    config: { type: 'string' },
    ...TARGET_FLAGS,
  }, USAGE);
  if (values.help) {
    out.write(USAGE + '\n');
    return 0;
  }
  const env = await resolveTarget(values, localEnv, USAGE);
  const format = (values.format as string | undefined) ?? 'table';
  if (!(QUERY_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be ${QUERY_FORMATS.join(', ')}, got "${format}"`, USAGE);
  const pairs: [string, string][] = [];
  for (const p of QUERY_PARAMETERS) {
    const v = values[p.flag];
    for (const one of Array.isArray(v) ? v : typeof v === 'string' ? [v] : []) pairs.push([p.name, one]);
  }

  const client = new RDSDataClient(awsClientConfig(env, 'rdsData'));
  try {
    const request = parseQueryParameters(pairs);
    const config = loadConfig(values.config as string | undefined);
    // Mistakes in the question are usage errors: find them before any call.
    const now = Date.now();
    planQuery(request, config, now);
    const target = {
      resourceArn: requireEnv(env, ENV.dbClusterArn),
      secretArn: requireEnv(env, ENV.dbSecretArn),
      database: requireEnv(env, ENV.dbName),
    };
    const result = await executeQuery(client, target, request, { config, now });
    out.write(formatQueryResult(result, format as QueryFormat));
    return 0;
  } catch (err) {
    if (err instanceof QueryError) throw new UsageError(err.message.replace(/^(\w+):/, (_, name: string) => `--${flagOf(name)}:`), USAGE);
    throw err;
  } finally {
    client.destroy();
  }
}

function flagOf(name: string): string {
  return QUERY_PARAMETERS.find((p) => p.name === name)?.flag ?? name;
}
