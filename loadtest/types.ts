// The load test's options and report: one typed shape each, shared by the CLI, the
// JSON output and the HTML report.
import type { ChaosEvent } from './ChaosPlan.ts';
import type { CostEstimate } from './costModel.ts';
import type { ConsumerCrash } from './StackControlClient.ts';
import type { LatencySummary } from './LatencyHistogram.ts';
import type { SecondSample } from './Timeline.ts';
import type { RecordFormat } from '../producers/index.ts';

export type LoadTarget = 'kinesis' | 'http';
export type LoadMode = 'sluice' | 'naive';

export interface LoadTestOptions {
  /** Events per second to offer. @default 1000 */
  rate?: number;
  /** A linear ramp of the offered rate over the duration instead of `rate`. */
  ramp?: { from: number; to: number };
  /** Steps of constant rate, `stepSec` each, instead of `rate` (the duration is their sum). */
  steps?: { rates: number[]; stepSec: number };
  /** `naive`: one PutRecord per event and one INSERT per event, the design sluice replaces, on the same stack. @default 'sluice' */
  mode?: LoadMode;
  /** Also run the naive baseline on the same schedule and seed, and report both. */
  compare?: 'naive';
  /** Faults to inject on the local stack. @default none */
  chaos?: ChaosEvent[];
  /** Share of malformed records mixed in (0..0.5); each must end in the quarantine. @default 0 */
  poison?: number;
  /** Seconds of sending; the run stops by itself after. @default 10 */
  durationSec?: number;
  /** Distinct event types. @default 5 */
  types?: number;
  /** Distinct partition keys (users), Zipf-distributed. @default 1000 */
  keys?: number;
  /** Approximate JSON payload bytes per event. @default 100 */
  payloadBytes?: number;
  /** Zipf exponent of keys and types (0 = uniform). @default 1.1 */
  zipfExponent?: number;
  /** Send through the producer SDK to Kinesis, or POST to the HTTP ingest. @default 'kinesis' */
  target?: LoadTarget;
  /** Records the producer SDK puts (target kinesis): sluice's compressed aggregates, or KPL's. The HTTP ingest's are its server's choice. @default 'compressed' */
  recordFormat?: RecordFormat;
  /** The stack is a deployed one (`--target aws`): HTTP requests are signed with SigV4 and clients take the SDK's default credential chain, whatever the endpoint. @default false */
  deployed?: boolean;
  /** Allow an endpoint that is not loopback. @default false */
  allowRemote?: boolean;
  /** Check that the rollups reach the exact totals. @default true */
  verify?: boolean;
  /** How long after the last ack the rollups may take to match. @default 60 */
  settleTimeoutSec?: number;
  /** Seed of the event mix, to replay a run. @default random */
  seed?: number;
  /** Events sent but not yet acknowledged, at most; events the schedule owes beyond it are not sent and count as shortfall. @default 50,000 */
  maxInFlight?: number;
  /** Receives one progress line per second. @default none */
  progress?: (line: string) => void;
}

export interface RollupTotals {
  count: number;
  sum: number;
}

/** One scope's rollups against what was accepted: a type, or one group of a rollup that groups. */
export interface Discrepancy {
  scope: { type: string; rollup?: string; group?: Record<string, string | null> };
  expected: RollupTotals;
  observed: RollupTotals;
  /** Events accepted but not in the rollups. */
  lost: number;
  /** Events in the rollups more often than accepted. */
  duplicated: number;
  sumMatches: boolean;
}

export interface RollupVerification {
  /** Whether the rollups were checked at all (`verify: false` skips it). */
  checked: boolean;
  /** Every type's (and every group's) rollup count and sum equal what was accepted. */
  matched: boolean;
  /** From the last acknowledgement until the rollups matched (null if they did not). */
  lagMs: number | null;
  /** Events lost and double-counted, over all types. */
  lost: number;
  duplicated: number;
  /** The types whose totals differ. */
  perType: Discrepancy[];
  /** The groups (of rollups that group) whose totals differ, and how many groups were checked. */
  groups: Discrepancy[];
  groupsChecked: number;
  expected: Record<string, RollupTotals>;
  observed: Record<string, RollupTotals>;
}

/** What the database did for the run's events (measured over the run, the harness's own reads excluded). */
export interface DbWork {
  /** Data API calls of the pipeline, or null when the stack does not count them. */
  dataApiCalls: number | null;
  statementsPer10kEvents: number | null;
  eventsPerStatement: number | null;
  /** Rows inserted, updated or deleted in user tables (pg_stat_user_tables), or null when unreadable. */
  tupleWrites: number | null;
  tupleWritesPer10kEvents: number | null;
  /** Transactions the pipeline began (one per aggregator batch), or null when not counted. */
  transactions: number | null;
  /** Most transactions open at once, or 'not measured'. */
  maxConcurrentTransactions: number | 'not measured';
}

export interface LoadTestReport {
  runId: string;
  seed: number;
  target: LoadTarget;
  /** The endpoint events went to. */
  endpoint: string;
  options: Required<Omit<LoadTestOptions, 'progress' | 'seed' | 'ramp' | 'steps' | 'chaos' | 'compare'>> & Pick<LoadTestOptions, 'ramp' | 'steps' | 'chaos' | 'compare'>;
  startedAt: string;
  /** The offered load, in words (`1000 events/s for 10 s`, a ramp, steps). */
  schedule: string;
  /** Events the schedule offered. */
  offered: number;
  /** Events handed to the target. */
  sent: number;
  /** Events offered but never sent (the generator or the system could not keep the schedule). */
  shortfall: number;
  /** Events the target acknowledged (landed on the stream). */
  accepted: number;
  /** Events that failed, by error name. */
  failed: number;
  failures: Record<string, number>;
  /** Sending time, first send to last send. */
  sendDurationMs: number;
  /** Accepted events per second of sending time. */
  achievedEventsPerSec: number;
  /** Latency from each event's intended send time: to its acknowledgement, and to being visible in the rollups. */
  latency: { ack: LatencySummary; e2e: LatencySummary };
  /** Events lost and double-counted (0 when not checked). */
  lost: number;
  duplicated: number;
  db: DbWork;
  /** Malformed records mixed in, and how many of them the quarantine holds. */
  poison: { sent: number; quarantined: number | null };
  /** The faults injected, each with when it began (seconds from the start). */
  chaos: Array<ChaosEvent & { firedAtSec: number | null; error?: string; crash?: ConsumerCrash }>;
  costPerMillionEventsUsd: number | null;
  cost: CostEstimate | null;
  /** With `compare: 'naive'`: the naive baseline's run on the same schedule and seed. */
  naive?: LoadTestReport;
  /** Mean serialized size of the events sent (bytes, from a sample). */
  meanEventBytes: number;
  /** Why the run is not OK, one line each (empty when OK). */
  problems: string[];
  timeline: SecondSample[];
  /** The sink's own counters at the end (for Kinesis: PutRecords calls, records, retries). */
  sinkMetrics: Record<string, number>;
  rollups: RollupVerification;
  /** True when nothing failed or fell short, (if checked) the rollups matched exactly and every poison record was quarantined. */
  ok: boolean;
}

export type SendOutcome = { ok: true } | { ok: false; error: string };

/** Where a run sends events; both sinks report one outcome per event and never reject. */
export interface LoadSink {
  /** Human-readable target, e.g. `kinesis stream sluice-events at http://127.0.0.1:4570`. */
  readonly description: string;
  /** The endpoint URL events go to. */
  readonly endpoint: string;
  /** One promise per event, resolved when the target has answered for it. */
  send(batch: ReadonlyArray<{ event: object; partitionKey: string }>): Promise<SendOutcome>[];
  /** Counters the target keeps itself (the producer's retries, Kinesis records, ...). */
  metrics?(): Record<string, number>;
  close(): Promise<void>;
}
