// `sluice dev` (what `npm start` runs): the embedded local stack in the foreground.
// Prints each endpoint and the variables that point AWS SDKs and the CLI at it,
// then `sluice ready`; Ctrl-C stops it cleanly, keeping everything in --data-dir.
import { ENV, DEFAULT_DATA_DIR, type StackEnv } from '../core/index.ts';
import { DEFAULT_DEV_PORTS, QUERY_PORT_OFFSET, startStack } from '../local/index.ts';
import { intFlag, parseFlags } from './flags.ts';

const USAGE = `Usage: sluice dev [--data-dir DIR] [--database-url URL] [--port N] [--shards N]

Starts the embedded local stack: Kinesis, PostgreSQL (PGlite, or --database-url /
DATABASE_URL), the RDS Data API, Firehose, the HTTP ingest endpoint, the consumers,
and the query API with its dashboard.
  --data-dir DIR      where streams, database, archive and positions live (default ${DEFAULT_DATA_DIR}, or SLUICE_DATA_DIR)
  --database-url URL  use this PostgreSQL instead of the embedded one (default DATABASE_URL)
  --port N            base port: N..N+3 for Kinesis, Firehose, the Data API and ingest,
                      N+${QUERY_PORT_OFFSET} for the query API and dashboard (default ${DEFAULT_DEV_PORTS.kinesis}, so ${DEFAULT_DEV_PORTS.query})
  --shards N          shards of a newly created stream (default 4)`;

export async function runDev(argv: string[], env: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseFlags(argv, {
    'data-dir': { type: 'string' },
    'database-url': { type: 'string' },
    port: { type: 'string' },
    shards: { type: 'string' },
  }, USAGE);
  if (values.help) {
    out.write(USAGE + '\n');
    return 0;
  }
  const base = intFlag(values.port, 'port', USAGE, 1024, 65535 - QUERY_PORT_OFFSET) ?? DEFAULT_DEV_PORTS.kinesis;
  const shardCount = intFlag(values.shards, 'shards', USAGE, 1, 100) ?? 4;
  const dataDir = (values['data-dir'] as string | undefined) ?? env[ENV.dataDir] ?? DEFAULT_DATA_DIR;
  const databaseUrl = (values['database-url'] as string | undefined) ?? process.env[ENV.databaseUrl];

  // EMF metrics and INFO logs are for CloudWatch; on a terminal they would bury the
  // endpoints. Export POWERTOOLS_METRICS_DISABLED=false / POWERTOOLS_LOG_LEVEL=INFO to see them.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const stack = await startStack({
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    shardCount,
    ports: { kinesis: base, firehose: base + 1, rdsData: base + 2, ingest: base + 3, query: base + QUERY_PORT_OFFSET },
    log: (line) => out.write(`  ${line}\n`),
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE') throw err;
    throw new Error(`${err.message}: ports ${base}-${base + 3} and ${base + QUERY_PORT_OFFSET} must be free (is another sluice dev running?); choose others with --port N`);
  });

  out.write(`\nPoint the AWS SDKs, the AWS CLI and sluice at this stack (also written to ${stack.dataDir}/env):\n\n`);
  for (const [k, v] of Object.entries(stack.env)) out.write(`  export ${k}=${v}\n`);
  out.write(`\nsluice ready: send events with \`npx sluice send events.ndjson\` or POST ${stack.env[ENV.ingestUrl]}; query with \`npx sluice query --type <type>\` or GET ${stack.env[ENV.queryUrl]}/v1/query; dashboard at ${stack.env[ENV.queryUrl]}/. Ctrl-C stops.\n`);

  // A status line whenever the consumers did something since the last one.
  let last = '';
  const status = setInterval(() => {
    const parts = Object.entries(stack.runners).map(([name, r]) => {
      const s = r.stats;
      return `${name} ${s.records} records in ${s.batches} batches, ${s.errors} errors, iterator age ${(s.iteratorAgeMs / 1000).toFixed(1)} s`;
    });
    const line = parts.join(' | ');
    if (line !== last) out.write(`  [${new Date().toISOString().slice(11, 19)}] ${line}\n`);
    last = line;
  }, 5000);
  status.unref();

  // The first signal stops gracefully. A terminal's Ctrl-C may reach us twice (npm
  // forwards it to its child as well), so only a third one forces an exit.
  let signals = 0;
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      signals++;
      if (signals === 1) resolve();
      else if (signals === 2) out.write('sluice: still stopping; Ctrl-C again to quit at once (state stays consistent, in-flight batches are redelivered)\n');
      else process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  clearInterval(status);
  out.write('\nsluice: stopping (finishing in-flight batches)...\n');
  await stack.stop();
  out.write('sluice: stopped; state kept in ' + stack.dataDir + '\n');
  return 0;
}
