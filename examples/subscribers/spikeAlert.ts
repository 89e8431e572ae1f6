// Example subscriber: raises an alert when the events of a type in one minute (by
// their `ts`) reach a threshold. The counts live in a table of the rollup database
// (through the Data API, as the aggregator's rollups), so every shard and every
// concurrent batch adds to the same count and the alert fires once, by the batch
// that crosses the threshold.
//
//   { "name": "login-spikes", "handler": "./examples/subscribers/spikeAlert.ts", "types": ["login"],
//     "environment": { "SPIKE_THRESHOLD": "1000", "SPIKE_ALERT_URL": "https://hooks.example.com/alerts" } }
//
// The alert is a warning in the log, a SpikeAlerts metric (alarm on it), and a POST to
// SPIKE_ALERT_URL when set. Events are counted at least once: a batch the stream
// re-delivers counts again, which errs towards alerting.
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ENV, awsClientConfig, requireEnv, type StackEnv } from '../../core/index.ts';
import { DataApiSession, fieldNumber, fieldText, sqlParameters } from '../../schema/index.ts';
import { defineSubscriber } from '../../consumers/index.ts';

const TABLE = 'spike_alert_counts';
const CREATE = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  event_type text NOT NULL, minute timestamptz NOT NULL, count bigint NOT NULL, PRIMARY KEY (event_type, minute))`;
// Adds the batch's counts; returns each row's new count, so the crossing is known.
const ADD = `INSERT INTO ${TABLE} (event_type, minute, count)
SELECT c.t, to_timestamp(c.m / 1000.0), c.n FROM jsonb_to_recordset(CAST(:counts AS jsonb)) AS c(t text, m bigint, n bigint)
ORDER BY 1, 2
ON CONFLICT (event_type, minute) DO UPDATE SET count = ${TABLE}.count + excluded.count
RETURNING event_type, CAST(extract(epoch FROM minute) * 1000 AS bigint), count`;

const sessions = new Map<StackEnv, Promise<DataApiSession>>();

/** One Data API session per host, its table created once. */
function sessionFor(env: StackEnv): Promise<DataApiSession> {
  let s = sessions.get(env);
  if (!s) {
    const session = new DataApiSession(new RDSDataClient(awsClientConfig(env, 'rdsData')), {
      resourceArn: requireEnv(env, ENV.dbClusterArn), secretArn: requireEnv(env, ENV.dbSecretArn), database: requireEnv(env, ENV.dbName),
    });
    s = session.execute(CREATE).then(() => session);
    s.catch(() => sessions.delete(env));
    sessions.set(env, s);
  }
  return s;
}

export const handler = defineSubscriber(async (events, { env, logger, metrics }) => {
  const threshold = Number(env.SPIKE_THRESHOLD ?? 1000);
  if (!Number.isInteger(threshold) || threshold < 1) throw new Error(`SPIKE_THRESHOLD must be a whole number above 0, got ${env.SPIKE_THRESHOLD}`);
  const counts = new Map<string, { t: string; m: number; n: number }>();
  for (const { event } of events) {
    const m = Math.floor(event.ts / 60_000) * 60_000;
    const key = `${event.type}\u0000${m}`;
    const c = counts.get(key) ?? counts.set(key, { t: event.type, m, n: 0 }).get(key)!;
    c.n++;
  }
  const session = await sessionFor(env);
  const rows = await session.execute(ADD, { parameters: sqlParameters({ counts: JSON.stringify([...counts.values()]) }) });
  let alerts = 0;
  for (const row of rows) {
    const type = fieldText(row[0])!;
    const minute = fieldNumber(row[1])!;
    const count = fieldNumber(row[2])!;
    const added = counts.get(`${type}\u0000${minute}`)?.n ?? 0;
    if (count - added >= threshold || count < threshold) continue;
    alerts++;
    const alert = { type, minute: new Date(minute).toISOString(), count, threshold };
    logger.warn('event spike', alert);
    if (env.SPIKE_ALERT_URL) {
      const res = await fetch(env.SPIKE_ALERT_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alert) }).catch((err: Error) => err);
      if (res instanceof Error || !res.ok) logger.error('spike alert not delivered', { ...alert, error: res instanceof Error ? res.message : `HTTP ${res.status}` });
    }
  }
  metrics.addMetric('SpikeAlerts', MetricUnit.Count, alerts);
});
