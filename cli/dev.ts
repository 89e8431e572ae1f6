// `sluice dev` (what `npm start` runs): the embedded local stack in the foreground.
// Prints each endpoint and the variables that point AWS SDKs and the CLI at it,
// then `sluice ready`; Ctrl-C stops it cleanly, keeping everything in --data-dir.
import { ENV, DEFAULT_DATA_DIR, type StackEnv } from '../core/index.ts';
import { DEFAULT_DEV_PORTS, QUERY_PORT_OFFSET, startStack } from '../local/index.ts';
import { intFlag, parseFlags } from './flags.ts';
import { UsageError } from './errors.ts';

const USAGE = `Usage: sluice dev [--data-dir DIR] [--database-url URL] [--database postgres|pglite] [--port N] [--shards N] [--ingest-kpl] [--faults]

Starts the embedded local stack, each part in a process of its own: Kinesis,
PostgreSQL (an embedded server, or --database-url / DATABASE_URL), the RDS Data API,
Firehose, the HTTP ingest endpoint and the consumers; and the query API with its
dashboard.
  --data-dir DIR      where streams, database, archive and positions live (default ${DEFAULT_DATA_DIR}, or SLUICE_DATA_DIR)
  --database-url URL  use this PostgreSQL instead of the embedded one (default DATABASE_URL)
  --database ENGINE   the embedded engine: postgres (default, a real PostgreSQL 16 server from npm)
                      or pglite (WebAssembly, one connection; for platforms without binaries)
  --ingest-kpl        the HTTP ingest endpoint writes KPL aggregates instead of compressed ones
  --port N            base port: N..N+4 for Kinesis, Firehose, the Data API, ingest and S3 (the archive, read-only),
                      N+${QUERY_PORT_OFFSET} for the query API and dashboard (default ${DEFAULT_DEV_PORTS.kinesis}, so ${DEFAULT_DEV_PORTS.query})
  --shards N          shards of a newly created stream (default 4)
  --faults            serve the Data API's and Firehose's fault control at /_sluice/faults (the Data API's is what \`sluice loadtest --chaos db-outage@...\` uses)`;

export async function runDev(argv: string[], env: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseFlags(argv, {
    'data-dir': { type: 'string' },
    'database-url': { type: 'string' },
    port: { type: 'string' },
    shards: { type: 'string' },
    database: { type: 'string' },
    'ingest-kpl': { type: 'boolean' },
    faults: { type: 'boolean' },
  }, USAGE);
  if (values.help) {
    out.write(USAGE + '\n');
    return 0;
  }
  const base = intFlag(values.port, 'port', USAGE, 1024, 65535 - QUERY_PORT_OFFSET) ?? DEFAULT_DEV_PORTS.kinesis;
  const shardCount = intFlag(values.shards, 'shards', USAGE, 1, 100) ?? 4;
  const dataDir = (values['data-dir'] as string | undefined) ?? env[ENV.dataDir] ?? DEFAULT_DATA_DIR;
  const databaseUrl = (values['database-url'] as string | undefined) ?? process.env[ENV.databaseUrl];
  const database = (values.database as string | undefined) ?? 'postgres';
  if (database !== 'postgres' && database !== 'pglite') throw new UsageError(`--database must be postgres or pglite, not ${database}`, USAGE);

  // EMF metrics and INFO logs are for CloudWatch; on a terminal they would bury the
  // endpoints. Export POWERTOOLS_METRICS_DISABLED=false / POWERTOOLS_LOG_LEVEL=INFO to see them.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  // Ctrl-C while the parts start: they are stopped as soon as the stack is up.
  let signals = 0;
  const whileStarting = () => {
    if (++signals === 1) out.write('sluice: stopping once every part has started (Ctrl-C twice more to quit at once; the parts then stop by themselves)...\n');
    else if (signals >= 3) process.exit(130);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, whileStarting);
  const stack = await startStack({
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    database,
    ingestRecordFormat: values['ingest-kpl'] ? 'kpl' : 'compressed',
    shardCount,
    faultInjection: !!values.faults,
    ports: { kinesis: base, firehose: base + 1, rdsData: base + 2, ingest: base + 3, s3: base + 4, query: base + QUERY_PORT_OFFSET },
    log: (line) => out.write(`  ${line}\n`),
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE') throw err;
    throw new Error(`${err.message}: ports ${base}-${base + 4} and ${base + QUERY_PORT_OFFSET} must be free (is another sluice dev running?); choose others with --port N`);
  }).finally(() => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, whileStarting);
  });

  out.write(`\nPoint the AWS SDKs, the AWS CLI and sluice at this stack (also written to ${stack.dataDir}/env):\n\n`);
  for (const [k, v] of Object.entries(stack.env)) out.write(`  export ${k}=${v}\n`);
  out.write(`\nsluice ready: send events with \`npx sluice send events.ndjson\` or POST ${stack.env[ENV.ingestUrl]}; query with \`npx sluice query --type <type>\` or GET ${stack.env[ENV.queryUrl]}/v1/query; dashboard at ${stack.env[ENV.queryUrl]}/. Ctrl-C stops.\n`);

  // One status line whenever the consumers did something since the last one: what
  // each consumer settled, and the share of a core each part used meanwhile.
  let last = '';
  let lastCpu = stack.cpu();
  let lastAt = Date.now();
  const status = setInterval(() => {
    const parts = Object.entries(stack.runners).map(([name, r]) => {
      const s = r.stats;
      const restarts = r.restarts ? `, restarted ${r.restarts}x` : '';
      return s ? `${name} ${s.records} records in ${s.batches} batches, ${s.errors} errors, iterator age ${(s.iteratorAgeMs / 1000).toFixed(1)} s${restarts}` : `${name} starting${restarts}`;
    });
    for (const [name, reason] of Object.entries(stack.subscriberErrors)) parts.push(`${name} not running (${reason})`);
    const line = parts.join(' | ');
    const cpu = stack.cpu();
    const now = Date.now();
    if (line !== last) {
      const shares = Object.entries(cpu).map(([part, micros]) => `${part} ${Math.round(((micros - (lastCpu[part] ?? 0)) / 1000 / (now - lastAt)) * 100)}%`);
      out.write(`  [${new Date().toISOString().slice(11, 19)}] ${line} | cpu ${shares.join(' ')}\n`);
    }
    last = line;
    lastCpu = cpu;
    lastAt = now;
  }, 5000);
  status.unref();

  // The first signal stops gracefully. A terminal's Ctrl-C may reach us twice (npm
  // forwards it to its child as well), so only a third one forces an exit.
  let failure: string | undefined;
  void stack.failed.then((reason) => {
    failure = reason;
    process.emit('SIGTERM');
  });
  await new Promise<void>((resolve) => {
    if (signals > 0) resolve();
    const onSignal = () => {
      signals++;
      if (signals === 1) resolve();
      else if (signals === 2) out.write('sluice: still stopping; Ctrl-C again to quit at once (state stays consistent, in-flight batches are redelivered)\n');
      else process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
  });
  clearInterval(status);
  if (failure) process.stderr.write(`sluice: ${failure}; stopping the rest of the stack\n`);
  out.write('\nsluice: stopping (finishing in-flight batches)...\n');
  await stack.stop();
  out.write('sluice: stopped; state kept in ' + stack.dataDir + '\n');
  return failure ? 1 : 0;
}
