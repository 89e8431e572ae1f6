// The harness's one connection to the stack's database side, through the Data API
// of the stack under test: the rollup reader, the database's own work counters
// (tuple writes from pg_stat_user_tables), the local Data API's call counts and open
// transactions, the quarantine count of a run's poison records, and the local fault
// control. Every call the harness itself makes is counted, so the pipeline's figures
// exclude them. Endpoint and credential settings are resolved here only.
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, awsClientConfig, type StackEnv } from '../core/index.ts';
import type { RollupSet } from '../rollup/index.ts';
import { TABLES, type DataApiTarget } from '../schema/index.ts';
import { DataApiRollupReader } from './DataApiRollupReader.ts';
import { FaultControlError, TargetNotConfiguredError } from './errors.ts';
import { assertLoopback } from './loopback.ts';

/** The local Data API's admin paths (local/dataapi serves them). */
const STATS_PATH = '/_sluice/stats';
const FAULTS_PATH = '/_sluice/faults';

export interface DbCounters {
  /** Data API calls the pipeline made (the harness's own excluded), or undefined when the server does not say. */
  dataApiCalls?: number;
  /** Transactions begun (one per aggregator batch), or undefined when the server does not say. */
  transactions?: number;
  /** Transactions open at most since the stack started, or undefined when not measured. */
  maxOpenTransactions?: number;
  /** Rows inserted, updated and deleted in the database's user tables since its statistics began. */
  tupleWrites?: number;
}

export class StackProbe {
  readonly client: RDSDataClient;
  readonly target: DataApiTarget;
  readonly reader: DataApiRollupReader;
  private readonly endpoint: string | undefined;
  /** Data API calls this harness made (reads of rollups, counters, quarantine). */
  ownCalls = 0;

  constructor(env: StackEnv, allowRemote: boolean, rollups: RollupSet) {
    const need = (name: string) => {
      const v = env[name];
      if (!v) throw new TargetNotConfiguredError(name, 'read the rollups from (or pass --no-verify)');
      return v;
    };
    this.endpoint = env[ENV.rdsDataEndpoint];
    if (!this.endpoint && !allowRemote) need(ENV.rdsDataEndpoint);
    if (this.endpoint) assertLoopback(this.endpoint, ENV.rdsDataEndpoint, allowRemote);
    this.target = { resourceArn: need(ENV.dbClusterArn), secretArn: need(ENV.dbSecretArn), database: need(ENV.dbName) };
    // One attempt: a reading that fails (the database down) is simply taken again next second.
    this.client = new RDSDataClient({ ...awsClientConfig(env, 'rdsData'), maxAttempts: 1 });
    this.client.middlewareStack.add((next) => async (args) => {
      this.ownCalls++;
      return next(args);
    }, { step: 'initialize', name: 'sluiceLoadtestCallCounter' });
    this.reader = new DataApiRollupReader(this.client, this.target, rollups);
  }

  /** The database's counters now; a part that cannot be read (database down, remote target) is left out. */
  async counters(): Promise<DbCounters> {
    const out: DbCounters = {};
    const own = this.ownCalls;
    try {
      const r = await this.client.send(new ExecuteStatementCommand({
        ...this.target,
        sql: 'SELECT CAST(COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) AS bigint) FROM pg_stat_user_tables',
      }));
      out.tupleWrites = Number(r.records?.[0]?.[0]?.longValue ?? 0);
    } catch {
      // database refusing (e.g. during a db-outage): no reading this time
    }
    if (this.endpoint) {
      try {
        const res = await fetch(new URL(STATS_PATH, this.endpoint));
        if (res.ok) {
          const s = (await res.json()) as { calls: Record<string, number>; maxOpenTransactions?: number };
          const all = Object.values(s.calls).reduce((a, b) => a + b, 0);
          // Our own calls up to this moment, including the pg_stat read above.
          out.dataApiCalls = all - Math.max(own, this.ownCalls);
          out.transactions = s.calls.BeginTransaction ?? 0;
          if (typeof s.maxOpenTransactions === 'number') out.maxOpenTransactions = s.maxOpenTransactions;
        } else {
          await res.arrayBuffer();
        }
      } catch {
        // not the local Data API: calls not measured
      }
    }
    return out;
  }

  /** Quarantined records whose raw bytes contain `marker` (a run's poison records carry its id). */
  async quarantined(marker: string): Promise<number> {
    const r = await this.client.send(new ExecuteStatementCommand({
      ...this.target,
      sql: `SELECT COUNT(*) FROM ${TABLES.quarantine} WHERE position(convert_to(:marker, 'UTF8') IN raw) > 0`,
      parameters: [{ name: 'marker', value: { stringValue: marker } }],
    }));
    return Number(r.records?.[0]?.[0]?.longValue ?? 0);
  }

  /** Fails out early when the stack does not serve the fault admin API. */
  async assertFaultControl(fault: string): Promise<void> {
    const url = this.endpoint ? new URL(FAULTS_PATH, this.endpoint) : undefined;
    const res = url ? await fetch(url).catch(() => undefined) : undefined;
    const ok = res?.ok ?? false;
    await res?.arrayBuffer();
    if (!ok) throw new FaultControlError(fault, 'the stack does not serve the Data API fault control: start it with `sluice dev --faults`');
  }

  private async postFault(fault: string, spec: object): Promise<void> {
    const res = await fetch(new URL(FAULTS_PATH, this.endpoint), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    const text = await res.text();
    if (!res.ok) throw new FaultControlError(fault, `the fault control answered ${res.status}: ${text}`);
  }

  /** The database refuses every call (DatabaseResumingException, as a paused Aurora) for `durationMs`. */
  async databaseOutage(durationMs: number): Promise<void> {
    await this.postFault('db-outage', { kind: 'resuming', durationMs });
  }

  close(): void {
    this.client.destroy();
  }
}
